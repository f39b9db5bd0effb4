// placedFilesInReadOrder (fs/placed-files.ts): the FAT32 and exFAT populators' files, handed over in placement
// order, come out sorted by read position (source, then order), ties in placement order, whether or not the
// placement order already was the read order; and the files are the same ones, each once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { placedFilesInReadOrder, type PlacedFile } from '../../src/fs/placed-files.js';
import type { TreeFile } from '../../src/disk-types.js';

function file(source: number, order: number): TreeFile {
  return { kind: 'file', name: `f${order}`, sizeBytes: 1, mtime: 0, readOnly: false, linkGroup: null, source, order, dir: '/' };
}

const refs = fc.array(fc.record({ source: fc.integer({ min: 0, max: 2 }), order: fc.integer({ min: 0, max: 20 }) }), { maxLength: 60 });

test('sorted by (source, order), ties in placement order, each file once', () => {
  fc.assert(fc.property(refs, fc.boolean(), (list, presorted) => {
    const ordered = presorted ? [...list].sort((a, b) => a.source - b.source || a.order - b.order) : list;
    const placed: PlacedFile[] = ordered.map((r, i) => ({ node: file(r.source, r.order), firstCluster: 2 + i, clusterCount: 1 }));
    const want = [...placed].sort((a, b) => a.node.source - b.node.source || a.node.order - b.node.order || a.firstCluster - b.firstCluster);
    const got = [...placedFilesInReadOrder(() => placed)];
    assert.equal(got.map((f) => [f.node, f.firstCluster, f.clusterCount]), want.map((f) => [f.node, f.firstCluster, f.clusterCount]));
    got.forEach((f, i) => assert.is(f.node, want[i].node));
  }));
});

test.run();
