// The seeded volumes whose bytes fixtures/exfat records (see its README.md).
export const GOLDEN_CASES = [
  { name: 'golden-64m-512', input: { partitionStartLba: 2048, partitionSizeBytes: 64 * 1024 * 1024, logicalSectorSize: 512, label: 'GOLDEN', seed: 'guestdisk-golden', timestamp: 315_532_800 } },
  { name: 'golden-64m-4096', input: { partitionStartLba: 256, partitionSizeBytes: 64 * 1024 * 1024, logicalSectorSize: 4096, label: 'GOLDEN', seed: 'guestdisk-golden', timestamp: 315_532_800 } },
] as const;
