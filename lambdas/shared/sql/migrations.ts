/**
 * Versioned SQL migrations: files `NNNN_name.sql` applied in order, once, each recorded in
 * `schema_migrations` (version, name, sha256 of the file, time). All pending files run in one
 * transaction under an advisory lock, so concurrent cold starts (several Lambdas) apply them once;
 * an already-applied file whose content changed is refused (edit by adding a migration instead).
 * Statements are split (splitStatements) because the Data API runs one per call.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SqlClient, SqlError, splitStatements } from './sql-client.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationOutcome {
  applied: string[];
  alreadyApplied: number;
}

export class MigrationError extends SqlError {
  override readonly name = 'MigrationError';
  constructor(message: string) {
    super(message, false);
  }
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;
/** Arbitrary but fixed key for pg_advisory_xact_lock: "migrations". */
const LOCK_KEY = 7_316_000_051;

export function migration(file: string, sql: string): Migration {
  const m = FILE.exec(file);
  if (!m) throw new MigrationError(`Migration file "${file}" is not named NNNN_name.sql.`);
  return {
    version: Number(m[1]),
    name: m[2] as string,
    sql,
    checksum: createHash('sha256').update(sql).digest('hex'),
  };
}

export async function loadMigrations(directory: string): Promise<Migration[]> {
  const files = (await readdir(directory)).filter((f) => f.endsWith('.sql')).sort();
  const out = await Promise.all(
    files.map(async (f) => migration(f, await readFile(join(directory, f), 'utf8'))),
  );
  out.forEach((m, i) => {
    if (i > 0 && m.version === (out[i - 1] as Migration).version)
      throw new MigrationError(`Two migrations have version ${m.version}.`);
  });
  return out;
}

export async function applyMigrations(
  sql: SqlClient,
  migrations: readonly Migration[],
): Promise<MigrationOutcome> {
  await sql.query(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version integer PRIMARY KEY,
       name text NOT NULL,
       checksum text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  return sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
    const done = await tx.query<{ version: number | string; checksum: string }>(
      'SELECT version, checksum FROM schema_migrations',
    );
    const applied = new Map(done.rows.map((r) => [Number(r.version), r.checksum]));
    const outcome: MigrationOutcome = { applied: [], alreadyApplied: 0 };
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      const checksum = applied.get(m.version);
      if (checksum !== undefined) {
        if (checksum !== m.checksum)
          throw new MigrationError(
            `Migration ${m.version}_${m.name} changed after it was applied; add a new one instead.`,
          );
        outcome.alreadyApplied++;
        continue;
      }
      for (const statement of splitStatements(m.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        m.checksum,
      ]);
      outcome.applied.push(`${String(m.version).padStart(4, '0')}_${m.name}`);
    }
    return outcome;
  });
}
