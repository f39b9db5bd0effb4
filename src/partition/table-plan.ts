// What the planner decided for the partition table and its partitions: plain JSON that the GPT/MBR encoders
// turn into bytes. Here, beside the encoders, so that partition/ never reaches up into plan/.

export interface GptTablePlan {
  readonly kind: 'gpt';
  readonly diskGuid: string;
  readonly entryCount: number;
  readonly entrySize: number;
  readonly firstUsableLba: number;
  readonly lastUsableLba: number;
  readonly primaryHeaderLba: number;
  readonly primaryEntriesLba: number;
  readonly backupEntriesLba: number;
  readonly backupHeaderLba: number;
}

export interface MbrTablePlan {
  readonly kind: 'mbr';
  readonly diskSignature: number;
}

export type TablePlan = GptTablePlan | MbrTablePlan;

export interface PartitionPlan {
  readonly number: number;
  readonly startLba: number;
  readonly sizeLba: number;
  /** GPT partition type GUID (gpt) */
  readonly typeGuid: string | null;
  /** MBR partition type byte (mbr) */
  readonly mbrType: number | null;
  readonly guid: string | null;
  readonly name: string | null;
  readonly attributes: number;
}
