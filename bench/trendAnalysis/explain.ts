/**
 * EXPLAIN (ANALYZE, BUFFERS) of a statement, read from its JSON form: the plan as a compact tree
 * for the console, and a summary for docs/benchmarks.md (execution time, the nodes that spent it).
 */
import type { Knex } from 'knex';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'CTE Name'?: string;
  'Join Type'?: string;
  'Sort Method'?: string;
  'Actual Total Time': number;
  'Actual Rows': number;
  'Actual Loops': number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Temp Written Blocks'?: number;
  Plans?: PlanNode[];
}

export interface Explained {
  name: string;
  planningMs: number;
  executionMs: number;
  /** The plan, one node a line, indented by depth. */
  tree: string[];
  /** The nodes that spent the most time of their own (their children's excluded), most first. */
  top: { node: string; selfMs: number; rows: number }[];
}

const label = (n: PlanNode) => {
  const on = n['Index Name'] ?? n['Relation Name'] ?? n['CTE Name'];
  const how = [n['Join Type'], n['Sort Method']].filter(Boolean).join(', ');
  return `${n['Node Type']}${on ? ` on ${on}` : ''}${how ? ` (${how})` : ''}`;
};
/** A node's total time over all its loops. */
const totalMs = (n: PlanNode) => n['Actual Total Time'] * n['Actual Loops'];

/** Runs `explain (analyze, buffers, format json)` of a statement (it really runs: wrap writes in a rolled-back transaction). */
export async function explainAnalyze(db: Knex, name: string, sql: string, bindings: Record<string, unknown> | readonly unknown[]) {
  const { rows } = await db.raw<{ rows: { 'QUERY PLAN': [{ Plan: PlanNode; 'Planning Time': number; 'Execution Time': number }] }[] }>(
    `explain (analyze, buffers, format json) ${sql}`,
    bindings as Knex.RawBinding,
  );
  const [{ Plan: plan, 'Planning Time': planningMs, 'Execution Time': executionMs }] = rows[0]!['QUERY PLAN'];
  const tree: string[] = [];
  const selves: Explained['top'] = [];
  const walk = (n: PlanNode, depth: number) => {
    const children = n.Plans ?? [];
    const selfMs = Math.max(0, totalMs(n) - children.reduce((sum, c) => sum + totalMs(c), 0));
    const buffers = `hit ${n['Shared Hit Blocks'] ?? 0} read ${n['Shared Read Blocks'] ?? 0}${n['Temp Written Blocks'] ? ` temp ${n['Temp Written Blocks']}` : ''}`;
    tree.push(
      `${'  '.repeat(depth)}-> ${label(n)}  ${totalMs(n).toFixed(1)} ms (self ${selfMs.toFixed(1)}), rows ${n['Actual Rows']} × ${n['Actual Loops']}, buffers ${buffers}`,
    );
    selves.push({ node: label(n), selfMs, rows: n['Actual Rows'] * n['Actual Loops'] });
    for (const c of children) walk(c, depth + 1);
  };
  walk(plan, 0);
  return { name, planningMs, executionMs, tree, top: selves.sort((a, b) => b.selfMs - a.selfMs).slice(0, 3) } satisfies Explained;
}

/** One line: execution time and the top nodes by their own time. */
export function explainedSummary(e: Explained): string {
  const top = e.top.map((t) => `${t.node} ${t.selfMs.toFixed(1)} ms (${t.rows.toLocaleString('en-US')} rows)`).join('; ');
  return `| ${e.name} | ${e.executionMs.toFixed(1)} ms | ${e.planningMs.toFixed(1)} ms | ${top} |`;
}
