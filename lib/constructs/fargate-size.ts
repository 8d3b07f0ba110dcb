/**
 * Fargate's valid task sizes, shared by the ECS services (PipelineService) and the Batch trainer
 * (TrainerJob): each checks its own size against them before building anything.
 */
import { invalidSetting } from '../invalid-setting.ts';

/** Fargate's CPU units → the memory sizes (MiB) it accepts with them (ECS and Batch alike). */
export const FARGATE_MEMORY_MIB: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16_384, 1024),
  4096: range(8192, 30_720, 1024),
  8192: range(16_384, 61_440, 4096),
  16384: range(32_768, 122_880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

/** Throws, naming `where` and the setting, unless `cpu` and `memoryMiB` are one of Fargate's pairs. */
export function validateFargateSize(
  where: string,
  cpu: number,
  memoryMiB: number,
  names: { readonly cpu: string; readonly memory: string } = { cpu: 'cpu', memory: 'memoryMiB' },
): void {
  const memories = FARGATE_MEMORY_MIB[cpu];
  if (memories === undefined) {
    invalidSetting(where, names.cpu, cpu, `Fargate takes ${Object.keys(FARGATE_MEMORY_MIB).join(', ')}`);
  }
  if (!memories.includes(memoryMiB)) {
    invalidSetting(
      where,
      names.memory,
      memoryMiB,
      `with cpu ${cpu} Fargate takes ${memories[0]} to ${memories[memories.length - 1]} MiB in its steps`,
    );
  }
}
