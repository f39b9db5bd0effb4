// Stand-ins for lvcreate, lvs, vgs and virsh (guestdisk's only host programs). Each invocation appends its argv as a
// JSON line to $FAKE_HOST_LOG and acts on a JSON world in $FAKE_HOST_STATE, answering with the exit statuses,
// stdout and stderr wording of LVM 2.03 and libvirt 9/10, so the code under test sees what it would on a host.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function load() {
  return JSON.parse(fs.readFileSync(process.env.FAKE_HOST_STATE, 'utf8'));
}
function save(state) {
  fs.writeFileSync(process.env.FAKE_HOST_STATE, JSON.stringify(state, null, 2));
}
function fail(status, stderr) {
  process.stderr.write(stderr);
  process.exit(status);
}
/** Named option values (--name value) and the remaining positional arguments. */
function parse(args, withValue, flags) {
  const opts = {};
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (withValue.includes(a)) opts[a] = args[++i];
    else if (flags.includes(a)) opts[a] = true;
    else rest.push(a);
  }
  return { opts, rest };
}

function lvs(args, state) {
  const { opts, rest } = parse(args, ['--reportformat', '--units', '-o'], ['--nosuffix']);
  const selector = rest[0] ?? '';
  const [vgName, lvName] = selector.split('/');
  const vg = state.vgs[vgName];
  if (!vg) fail(5, `  Volume group "${vgName}" not found\n  Cannot process volume group ${vgName}\n`);
  if (lvName !== undefined && !vg.lvs[lvName]) fail(5, `  Failed to find logical volume "${selector}"\n`);
  const fields = (opts['-o'] ?? 'lv_name,vg_name,lv_attr,lv_size').split(',');
  const rows = Object.entries(vg.lvs)
    .filter(([name]) => lvName === undefined || name === lvName)
    .map(([name, lv]) => {
      const all = { lv_name: name, vg_name: vgName, lv_path: lv.path ?? `/dev/${vgName}/${name}`, lv_size: `${lv.sizeBytes}${opts['--nosuffix'] ? '' : 'B'}`, lv_attr: '-wi-a-----' };
      return Object.fromEntries(fields.map((f) => [f, all[f] ?? '']));
    });
  if (opts['--reportformat'] !== 'json') fail(3, '  fake lvs only speaks --reportformat json\n');
  // lvs prints its JSON indented, one object per line inside the "lv" array
  const body = rows.map((r) => `                  {${Object.entries(r).map(([k, v]) => `"${k}":${JSON.stringify(v)}`).join(', ')}}`).join(',\n');
  process.stdout.write(`  {\n      "report": [\n          {\n              "lv": [\n${body}\n              ]\n          }\n      ]\n  }\n`);
}

function vgs(args, state) {
  const { opts, rest } = parse(args, ['--reportformat', '--units', '-o'], ['--nosuffix']);
  const names = rest.length > 0 ? rest : Object.keys(state.vgs);
  for (const n of names) if (!state.vgs[n]) fail(5, `  Volume group "${n}" not found\n  Cannot process volume group ${n}\n`);
  if (opts['--reportformat'] !== 'json') fail(3, '  fake vgs only speaks --reportformat json\n');
  const fields = (opts['-o'] ?? 'vg_name,vg_size,vg_free').split(',');
  const suffix = opts['--nosuffix'] ? '' : 'B';
  const body = names.map((n) => {
    const vg = state.vgs[n];
    const all = { vg_name: n, vg_extent_size: `${vg.extentBytes ?? 4 * 1024 * 1024}${suffix}`, vg_free: `${vg.freeBytes}${suffix}` };
    return `                  {${fields.map((f) => `"${f}":${JSON.stringify(all[f] ?? '')}`).join(', ')}}`;
  }).join(',\n');
  process.stdout.write(`  {\n      "report": [\n          {\n              "vg": [\n${body}\n              ]\n          }\n      ]\n  }\n`);
}

function lvcreate(args, state) {
  const { opts, rest } = parse(args, ['-L', '-l', '-n'], ['--yes', '-y']);
  const vgName = rest[0];
  const vg = state.vgs[vgName];
  if (!vg) fail(5, `  Volume group "${vgName}" not found\n  Cannot process volume group ${vgName}\n`);
  const name = opts['-n'];
  if (vg.lvs[name]) fail(5, `  Logical Volume "${name}" already exists in volume group "${vgName}"\n`);
  const extent = vg.extentBytes ?? 4 * 1024 * 1024;
  let bytes;
  if (opts['-L'] !== undefined) {
    const m = /^(\d+)b$/.exec(opts['-L']);
    if (!m) fail(3, `  Invalid argument for --size: ${opts['-L']}\n`);
    bytes = Math.ceil(Number(m[1]) / extent) * extent;
    if (bytes !== Number(m[1])) process.stdout.write(`  Rounding up size to full physical extent ${bytes / 1048576}.00 MiB\n`);
  } else if (opts['-l'] === '100%FREE') {
    bytes = Math.floor(vg.freeBytes / extent) * extent;
  } else fail(3, `  fake lvcreate: give -L <bytes>b or -l 100%FREE\n`);
  if (bytes > vg.freeBytes || bytes === 0) {
    fail(5, `  Volume group "${vgName}" has insufficient free space (${Math.floor(vg.freeBytes / extent)} extents): ${bytes / extent} required.\n`);
  }
  vg.freeBytes -= bytes;
  vg.lvs[name] = { sizeBytes: bytes, path: (state.newLvPaths ?? {})[`${vgName}/${name}`] ?? `/dev/${vgName}/${name}` };
  save(state);
  process.stdout.write(`  Logical volume "${name}" created.\n`);
}

function virsh(args, state) {
  if (state.virshUnreachable) fail(1, 'error: failed to connect to the hypervisor\nerror: Failed to connect socket to \'/var/run/libvirt/virtqemud-sock\': No such file or directory\n');
  const [command, ...rest] = args;
  const domains = state.domains ?? {};
  if (command === 'list') {
    const names = Object.entries(domains).filter(([, d]) => d.running).map(([n]) => n);
    process.stdout.write(names.map((n) => `${n}\n`).join('') + '\n');
    return;
  }
  if (command === 'domblklist') {
    const { opts } = parse(rest, ['--domain'], ['--details', '--inactive']);
    const d = domains[opts['--domain']];
    if (!d) fail(1, `error: failed to get domain '${opts['--domain']}'\n`);
    let out = ' Type   Device   Target   Source\n------------------------------------------------\n';
    for (const disk of d.disks) out += ` ${disk.type.padEnd(6)} ${disk.device.padEnd(8)} ${disk.target.padEnd(8)} ${disk.source ?? '-'}\n`;
    process.stdout.write(`${out}\n`);
    return;
  }
  if (command === 'domstate') {
    const { opts } = parse(rest, ['--domain'], []);
    const d = domains[opts['--domain']];
    if (!d) fail(1, `error: failed to get domain '${opts['--domain']}'\n`);
    process.stdout.write(`${d.running ? 'running' : 'shut off'}\n\n`);
    return;
  }
  if (command === 'attach-device') {
    const { opts } = parse(rest, ['--domain', '--file'], ['--persistent', '--live', '--config']);
    const d = domains[opts['--domain']];
    if (!d) fail(1, `error: failed to get domain '${opts['--domain']}'\n`);
    const xml = fs.readFileSync(opts['--file'], 'utf8');
    const target = /<target dev='([^']+)'/.exec(xml)?.[1];
    if (d.disks.some((x) => x.target === target)) fail(1, `error: Failed to attach device\nerror: operation failed: target ${target} already exists\n`);
    d.disks.push({ type: /<disk type='(\w+)'/.exec(xml)?.[1] ?? 'file', device: 'disk', target, source: /<source (?:file|dev)='([^']+)'/.exec(xml)?.[1] });
    save(state);
    process.stdout.write('Device attached successfully\n\n');
    return;
  }
  if (command === 'attach-disk') {
    const { opts, rest: extra } = parse(rest, ['--domain', '--source', '--target', '--targetbus', '--driver', '--subdriver', '--cache', '--sourcetype'], ['--persistent', '--live', '--config']);
    if (extra.length > 0) fail(1, `error: unexpected data '${extra[0]}'\n`);
    const d = domains[opts['--domain']];
    if (!d) fail(1, `error: failed to get domain '${opts['--domain']}'\n`);
    if (!d.running && !opts['--persistent'] && !opts['--config']) fail(1, 'error: Failed to attach disk\nerror: Requested operation is not valid: domain is not running\n');
    if (d.disks.some((x) => x.target === opts['--target'])) fail(1, `error: Failed to attach disk\nerror: operation failed: target ${opts['--target']} already exists\n`);
    d.disks.push({ type: opts['--sourcetype'] ?? 'file', device: 'disk', target: opts['--target'], source: opts['--source'] });
    save(state);
    process.stdout.write('Disk attached successfully\n\n');
    return;
  }
  fail(1, `error: unknown command: '${command}'\n`);
}

function main() {
  const program = path.basename(process.argv[1]);
  const args = process.argv.slice(2);
  fs.appendFileSync(process.env.FAKE_HOST_LOG, `${JSON.stringify([program, ...args])}\n`);
  const state = load();
  const forced = (state.fail ?? {})[program];
  if (forced && (forced.when === undefined || args.includes(forced.when))) fail(forced.status, forced.stderr);
  if (program === 'lvs') lvs(args, state);
  else if (program === 'lvcreate') lvcreate(args, state);
  else if (program === 'vgs') vgs(args, state);
  else if (program === 'virsh') virsh(args, state);
  else fail(127, `fake-host: no stand-in for ${program}\n`);
}
main();
