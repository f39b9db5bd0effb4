// guestdisk's command line: commander wiring, one function per command in its own file (loaded when used).
// `main(argv, io)` runs one command line against an injected ProgramIo and returns the exit code; it keeps no
// state between calls, so tests drive it in-process. bin.ts binds it to the real process (process-io.ts).
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { GuestdiskError } from '../errors.js';
import { EXIT_BUG, EXIT_CODE } from './exit-codes.js';
import type { CliIo, ProgramIo } from './io.js';

export type { ProgramIo };

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** `--json` anywhere before a `--`: known before commander parses, so that its usage errors can be JSON too. */
function asksForJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

function report(e: unknown, json: boolean, io: CliIo): number {
  if (e instanceof GuestdiskError) {
    if (json) io.stdout(JSON.stringify(e.toJSON(), null, 2));
    else io.stderr(`guestdisk: ${e.message}`);
    return EXIT_CODE[e.code];
  }
  const trace = e instanceof Error ? (e.stack ?? e.message) : String(e);
  io.stderr(`guestdisk: internal error (a bug): ${trace}\n(NODE_OPTIONS=--enable-source-maps shows the TypeScript lines)`);
  return EXIT_BUG;
}

/** A commander usage error (unknown option, bad choice, missing argument) as the INVALID_SPEC it is. */
function usageError(e: CommanderError): GuestdiskError {
  const message = e.message.replace(/^error: /, '').replace(/\n+/g, ' ').trim();
  return new GuestdiskError('INVALID_SPEC', message, { usage: e.code.replace(/^commander\./, '') });
}

/** One run's state, fresh for every call of main. `json`: the command's own --json, once commander parsed it. */
interface RunState { exitCode: number; json: boolean }

function buildProgram(io: CliIo, usageJson: boolean, state: RunState): Command {
  const begin = (options: { json?: boolean }): void => {
    state.json = Boolean(options.json);
  };
  const program = new Command('guestdisk')
    .description('Make a ready-to-use Windows data disk (GPT/MBR + NTFS/exFAT/FAT32) on an image file or block device')
    .version(version(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      // With --json a usage error is reported once, as the JSON error object (main's catch), not also as text.
      outputError: (s, write) => { if (!usageJson) write(s); },
    });

  program
    .command('create')
    .description('partition and format TARGET (an image file, created sparse if missing, or a block device)')
    .argument('[target]', 'image file or block device (omit with --lvm)')
    .option('--size <size>', 'disk size for image files: bytes or K/M/G/T (binary), e.g. 64G; with --copy-from, +HEADROOM sizes it from the content')
    .addOption(new Option('--table <kind>', 'partition table').choices(['gpt', 'mbr']).default('gpt'))
    .addOption(new Option('--fs <fs>', 'filesystem in partition 1').choices(['ntfs', 'exfat', 'fat32', 'none']).default('ntfs'))
    .option('--label <label>', 'volume label')
    .addOption(new Option('--sector-size <bytes>', 'logical sector size for image files (block devices use the kernel\'s)').choices(['512', '4096']))
    .option('--cluster-size <size>', 'cluster size (default: Windows\' table for the volume size)')
    .option('--partition-name <name>', 'GPT partition name (default "Basic data partition", as Windows)')
    .option('--max-size <size>', 'exFAT/FAT32: size the FAT (and default cluster size) for a disk this large, so a later grow up to it fills the disk')
    .option('--seed <seed>', 'derive every GUID and serial from this string (byte-identical output)')
    .option('--timestamp <time>', 'ISO 8601 or Unix seconds for every stored time (default: SOURCE_DATE_EPOCH or now)')
    .option('--dry-run', 'print the plan, write nothing')
    .option('--json', 'machine-readable output')
    .option('--force', 'erase existing data / grow an existing image')
    .option('--exfat-volume-guid', 'exFAT: also write the optional Volume GUID entry (from --seed); Linux exfatprogs <= 1.2.0 and exfat-fuse refuse it')
    .option('--copy-from <src[:/dest]>', 'copy a directory or tar archive (plain or gzip) into the new volume, at /dest (default /); repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .option('--symlinks <policy>', 'with --copy-from: follow (copy what a link points to; default) or skip')
    .option('--lvm <vg/lv>', 'create the logical volume VG/LV (lvcreate) and format it; TARGET is then omitted')
    .option('--attach <domain>', 'after formatting, attach the disk to this libvirt domain (virsh attach-disk)')
    .option('--target-dev <dev>', 'guest device name for --attach (default: vdb)')
    .addOption(new Option('--bus <bus>', 'bus for --attach').choices(['virtio', 'sata', 'scsi']))
    .option('--cache <mode>', 'cache mode for --attach (default: none)')
    .option('--persistent', 'with --attach: also change the domain\'s persistent configuration')
    .option('--print-xml', 'with --attach: print the <disk> XML instead of running virsh')
    .action(async (target: string | undefined, options) => {
      begin(options);
      const { runCreate } = await import('./create.js');
      state.exitCode = await runCreate(target, options, io);
    });

  program
    .command('inspect')
    .description('read TARGET (never writes) and describe its partition table and filesystems')
    .argument('<target>', 'image file or block device')
    .option('--json', 'one JSON object (schema in the README)')
    .addOption(new Option('--sector-size <bytes>', 'logical sector size of an image file (default: detected)').choices(['512', '4096']))
    .action(async (target: string, options) => {
      begin(options);
      const { runInspect } = await import('./inspect.js');
      state.exitCode = await runInspect(target, options, io);
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
      begin(options);
      const { runVerify } = await import('./verify.js');
      state.exitCode = await runVerify(target, options, io);
    });

  const readOptions = (cmd: Command): Command => cmd
    .option('--partition <n>', 'partition number (default: the only one holding NTFS, exFAT or FAT32)')
    .addOption(new Option('--sector-size <bytes>', 'logical sector size of an image file (default: detected)').choices(['512', '4096']));
  readOptions(program
    .command('ls')
    .description('list a directory of a volume (read-only); PATH after ":/", e.g. disk.img:/dir')
    .argument('<disk-path>', 'DISK or DISK:/PATH')
    .option('-l, --long', 'attributes, modification time (UTC), size, link targets, streams')
    .option('-R, --recursive', 'list subdirectories too')
    .option('--json', 'one JSON document (schema in docs/read.md)'))
    .action(async (arg: string, options) => {
      begin(options);
      const { runLs } = await import('./ls.js');
      state.exitCode = await runLs(arg, options, io);
    });
  readOptions(program
    .command('cat')
    .description('write a file of a volume to stdout (read-only); DISK:/PATH, a stream as PATH:STREAM or --stream')
    .argument('<disk-path>', 'DISK:/PATH')
    .option('--stream <name>', 'NTFS alternate data stream'))
    .action(async (arg: string, options) => {
      begin(options);
      const { runCat } = await import('./cat.js');
      state.exitCode = await runCat(arg, options, io);
    });
  readOptions(program
    .command('get')
    .description('copy a file or a directory tree out of a volume (read-only) to DEST on the host')
    .argument('<disk-path>', 'DISK:/PATH')
    .argument('<dest>', 'host path (into it when it is an existing directory)')
    .option('--stream <name>', 'NTFS alternate data stream')
    .option('--force', 'overwrite existing host files')
    .option('--json', 'report as JSON'))
    .action(async (arg: string, dest: string, options) => {
      begin(options);
      const { runGet } = await import('./get.js');
      state.exitCode = await runGet(arg, dest, options, io);
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
      begin(options);
      const { runGrow } = await import('./grow.js');
      state.exitCode = await runGrow(target, options, io);
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
      begin(options);
      const { runAttach } = await import('./attach.js');
      state.exitCode = await runAttach(disk, domain, options, io);
    });

  return program;
}

/** Runs the command line; output errors decided only after the command, when its output has been flushed. */
async function runCommandLine(argv: readonly string[], io: CliIo): Promise<number> {
  const usageJson = asksForJson(argv);
  const state: RunState = { exitCode: 0, json: false };
  const program = buildProgram(io, usageJson, state);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      // Without --json, commander has already printed the error, and how to get help.
      return usageJson ? report(usageError(e), true, io) : EXIT_CODE.INVALID_SPEC;
    }
    return report(e, state.json, io);
  }
}

/**
 * Stdout failed after the command ran (the disk, if any, is written): exit IO_FAILED. A reader that went away
 * (EPIPE: `guestdisk … | head -1`) is told nothing, as other Unix tools do; anything else gets one line on stderr.
 */
function reportOutputFailure(e: unknown, exitCode: number, io: CliIo): number {
  if (!(e instanceof GuestdiskError)) return report(e, false, io);
  if (e.details.errno !== 'EPIPE') io.stderr(`guestdisk: ${e.message}; the command itself ended with exit status ${exitCode}`);
  return EXIT_CODE[e.code];
}

export async function main(argv: readonly string[], io: ProgramIo): Promise<number> {
  const exitCode = await runCommandLine(argv, io);
  try {
    await io.flush?.();
  } catch (e) {
    return reportOutputFailure(e, exitCode, io);
  }
  return exitCode;
}
