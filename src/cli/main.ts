// guestdisk CLI entry. Commands are imported lazily so that `--version` loads almost nothing.
import { readFileSync, realpathSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { GuestdiskError } from '../errors.js';
import { EXIT_BUG, EXIT_CODE, EXIT_USAGE } from './exit-codes.js';
import { CREATE_V8_FLAGS } from './v8-flags.js';
import type { CliIo } from './create.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * `create` is a short, I/O-bound run: its few loops that get hot (building $UpCase, scanning 4 KiB pages for zero
 * runs) finish before optimized code would pay off, yet V8's optimizing compiler still runs on them and its code
 * and working memory stay in the process: ~6 MB of peak RSS, more than half of what guestdisk adds to a bare Node
 * (bench/, issue 9's "peak RSS within 10 MB of `node -e 0`"). `--no-opt` turns it off and keeps the interpreter
 * and the baseline compiler; `--no-lazy-feedback-allocation` lets the baseline compiler start on a function at
 * once instead of after a first slow run (~5 ms of a ~100 ms run, no memory). The bin's start line
 * (scripts/build-cli.mjs) already starts node with both for `create`, which costs nothing; started any other way
 * (`node dist/cli/guestdisk.cjs create`, tests), they are set here, before any of create's code runs, through
 * node:v8 — whose loading alone costs ~2 MB. `inspect`/`verify`, which scan large bitmaps, keep the optimizing
 * compiler.
 */
function leaveCodeUnoptimized(): void {
  if (CREATE_V8_FLAGS.every((f) => process.execArgv.includes(f))) return;
  // require, not import(): the bundle runs in a vm.Script (src/cli/launcher.cjs), which has no import() loader.
  const { setFlagsFromString } = createRequire(import.meta.url)('node:v8') as typeof import('node:v8');
  for (const flag of CREATE_V8_FLAGS) setFlagsFromString(flag);
}

let signal: NodeJS.Signals | null = null;

/**
 * Output goes straight to file descriptors 1 and 2. Node's process.stdout/stderr are made on first use, and for a
 * pipe (how scripts and the bench run guestdisk) making one loads node's net module: ~1.5 MB of peak memory for a
 * few lines of text (bench/, issue 9). Should a descriptor be non-blocking and full, the rest (and everything
 * after it, to keep the order) goes through the stream, which waits; a reader that went away (EPIPE) gets nothing.
 */
const viaStream = { 1: false, 2: false };
function writeFd(fd: 1 | 2, text: string): void {
  const stream = (): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr);
  const bytes = Buffer.from(text);
  if (viaStream[fd]) {
    stream().write(bytes);
    return;
  }
  let at = 0;
  try {
    while (at < bytes.length) at += writeSync(fd, bytes, at);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return;
    if (code !== 'EAGAIN') throw e;
    viaStream[fd] = true;
    stream().write(bytes.subarray(at));
  }
}

/** The progress line, on a terminal only. Asked at the first line (a run past one second), not at start-up:
 *  `isTTY` makes the stderr stream, which loads node's tty and net modules (see writeFd). */
let stderrIsTty: boolean | undefined;
function showProgress(line: string | null): void {
  stderrIsTty ??= process.stderr.isTTY === true;
  if (stderrIsTty) writeFd(2, line === null ? '\r\x1b[K' : `\r\x1b[K${line}`);
}

const withNewline = (t: string): string => (t.endsWith('\n') ? t : `${t}\n`);

const io: CliIo = {
  stdout: (t) => writeFd(1, withNewline(t)),
  stderr: (t) => writeFd(2, withNewline(t)),
  env: process.env,
  now: () => Date.now(),
  interrupted: () => signal,
  progress: showProgress,
};

function report(e: unknown, json: boolean): number {
  if (e instanceof GuestdiskError) {
    if (json) io.stdout(JSON.stringify(e.toJSON(), null, 2));
    else io.stderr(`guestdisk: ${e.message}`);
    return EXIT_CODE[e.code];
  }
  io.stderr(`guestdisk: internal error (a bug): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return EXIT_BUG;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('guestdisk')
    .description('Make a ready-to-use Windows data disk (GPT/MBR + NTFS/exFAT/FAT32) on an image file or block device')
    .version(version(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  let exitCode = 0;
  let json = false;

  program
    .command('create')
    .description('partition and format TARGET (an image file, created sparse if missing, or a block device)')
    .argument('[target]', 'image file or block device (omit with --lvm)')
    .option('--size <size>', 'disk size for image files: bytes or K/M/G/T (binary), e.g. 64G')
    .addOption(new Option('--table <kind>', 'partition table').choices(['gpt', 'mbr']).default('gpt'))
    .addOption(new Option('--fs <fs>', 'filesystem in partition 1').choices(['ntfs', 'exfat', 'fat32', 'none']).default('ntfs'))
    .option('--label <label>', 'volume label')
    .addOption(new Option('--sector-size <bytes>', 'logical sector size for image files (block devices use the kernel\'s)').choices(['512', '4096']))
    .option('--cluster-size <size>', 'cluster size (default: Windows\' table for the volume size)')
    .option('--partition-name <name>', 'GPT partition name (default "Basic data partition", as Windows)')
    .option('--seed <seed>', 'derive every GUID and serial from this string (byte-identical output)')
    .option('--timestamp <time>', 'ISO 8601 or Unix seconds for every stored time (default: SOURCE_DATE_EPOCH or now)')
    .option('--dry-run', 'print the plan, write nothing')
    .option('--json', 'machine-readable output')
    .option('--force', 'erase existing data / grow an existing image')
    .option('--exfat-volume-guid', 'exFAT: also write the optional Volume GUID entry (from --seed); Linux exfatprogs <= 1.2.0 and exfat-fuse refuse it')
    .option('--lvm <vg/lv>', 'create the logical volume VG/LV (lvcreate) and format it; TARGET is then omitted')
    .option('--attach <domain>', 'after formatting, attach the disk to this libvirt domain (virsh attach-disk)')
    .option('--target-dev <dev>', 'guest device name for --attach (default: vdb)')
    .addOption(new Option('--bus <bus>', 'bus for --attach').choices(['virtio', 'sata', 'scsi']))
    .option('--cache <mode>', 'cache mode for --attach (default: none)')
    .option('--persistent', 'with --attach: also change the domain\'s persistent configuration')
    .option('--print-xml', 'with --attach: print the <disk> XML instead of running virsh')
    .action(async (target: string | undefined, options) => {
      json = Boolean(options.json);
      leaveCodeUnoptimized();
      const { runCreate } = await import('./create.js');
      exitCode = await runCreate(target, options, io);
    });

  program
    .command('inspect')
    .description('read TARGET (never writes) and describe its partition table and filesystems')
    .argument('<target>', 'image file or block device')
    .option('--json', 'one JSON object (schema in the README)')
    .addOption(new Option('--sector-size <bytes>', 'logical sector size of an image file (default: detected)').choices(['512', '4096']))
    .action(async (target: string, options) => {
      json = Boolean(options.json);
      const { runInspect } = await import('./inspect.js');
      exitCode = await runInspect(target, options, io);
    });

  program
    .command('verify')
    .description('check TARGET and list findings; exit 0 when no error, 1 when errors, 2 for usage/I/O errors')
    .argument('<target>', 'image file or block device')
    .option('--json', 'findings as JSON')
    .addOption(new Option('--sector-size <bytes>', 'logical sector size of an image file (default: detected)').choices(['512', '4096']))
    .addOption(new Option('--expect-table <kind>', 'expected partition table').choices(['gpt', 'mbr']))
    .addOption(new Option('--expect-fs <fs>', 'expected filesystem').choices(['ntfs', 'exfat', 'fat32']))
    .option('--expect-label <label>', 'expected volume label')
    .action(async (target: string, options) => {
      json = Boolean(options.json);
      const { runVerify } = await import('./verify.js');
      exitCode = await runVerify(target, options, io);
    });

  program
    .command('grow')
    .description('grow the last partition and its NTFS volume into the whole of TARGET (an image file is extended to --size)')
    .argument('[target]', 'image file or block device (omit with --lvm)')
    .option('--size <size>', 'image files: new size N or +N (bytes or K/M/G/T); with --lvm: lvextend to N or by +N')
    .option('--lvm <vg/lv>', 'run lvextend on VG/LV first (needs --size), then grow it')
    .addOption(new Option('--sector-size <bytes>', 'logical sector size of an image file (default: detected)').choices(['512', '4096']))
    .option('--dry-run', 'print the layout before and after, write nothing')
    .option('--json', 'machine-readable output')
    .action(async (target: string | undefined, options) => {
      json = Boolean(options.json);
      const { runGrow } = await import('./grow.js');
      exitCode = await runGrow(target, options, io);
    });

  program
    .command('attach')
    .description('attach a disk (block device or image file) to a libvirt domain with virsh attach-disk')
    .argument('<disk>', 'block device or image file')
    .argument('<domain>', 'libvirt domain name')
    .option('--target-dev <dev>', 'guest device name (default: vdb)')
    .addOption(new Option('--bus <bus>', 'guest bus').choices(['virtio', 'sata', 'scsi']))
    .option('--cache <mode>', 'cache mode (default: none)')
    .option('--persistent', 'also change the domain\'s persistent configuration')
    .option('--print-xml', 'print the <disk> XML instead of running virsh')
    .option('--json', 'machine-readable output')
    .action(async (disk: string, domain: string, options) => {
      json = Boolean(options.json);
      const { runAttach } = await import('./host-steps.js');
      exitCode = await runAttach(disk, domain, options, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_USAGE;
    }
    return report(e, json);
  }
}

/** Runs the command line in process.argv as this process: signals, exit code. */
export function runAsProgram(): void {
  const onSignal = (s: NodeJS.Signals): void => {
    if (signal) process.exit(s === 'SIGINT' ? 130 : 143); // second signal: stop now
    signal = s;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = signal && code !== 0 ? (signal === 'SIGINT' ? 130 : 143) : code;
    },
    (e: unknown) => {
      process.exitCode = report(e, false);
    },
  );
}

/** Set to true in the bundle (scripts/build-cli.mjs), whose entry is bin.ts: there this module never runs itself. */
declare const __GUESTDISK_BUNDLE__: boolean | undefined;

function isEntryPoint(): boolean {
  if (typeof __GUESTDISK_BUNDLE__ !== 'undefined' && __GUESTDISK_BUNDLE__) return false;
  if (!process.argv[1]) return false;
  try {
    return import.meta.url === new URL(`file://${realpathSync(process.argv[1])}`).href;
  } catch {
    return false;
  }
}
if (isEntryPoint()) runAsProgram();
