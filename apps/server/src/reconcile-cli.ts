// `pnpm reconcile [--repair]`: the drift check once, by hand. Prints a readable report and then a
// JSON summary line on stdout (logs go to stderr); exits 0 when nothing is left unrepaired, 1 when
// drift was found and not repaired, 2 on bad arguments.
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadEnvOrExit } from './env.js';
import { exitOnStartupError } from './startup-errors.js';

const USAGE = 'usage: pnpm reconcile [--repair]   (report only without --repair; --repair repairs every kind of drift found)';

let repair: boolean;
try {
  const { values } = parseArgs({ options: { repair: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  repair = values.repair;
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

const env = loadEnvOrExit();
// Loaded after validation so a bad variable is reported before any heavy module loads.
const { createAppContext } = await import('./context.js');
const { runReconcile, formatReport, reportSummary } = await import('@plyr/core/reconcile');
const ctx = await createAppContext(env, { runWorker: false, logDestination: pino.destination({ fd: 2, sync: true }) }).catch(exitOnStartupError);
let code = 0;
try {
  const report = await runReconcile(ctx.services, { repair: repair ? 'all' : 'none' });
  process.stdout.write(`${formatReport(report)}\n${JSON.stringify(reportSummary(report))}\n`);
  code = report.unresolved > 0 ? 1 : 0;
} catch (err) {
  console.error(`reconcile failed: ${(err as Error).message.split('\n')[0]}`);
  code = 1;
} finally {
  await ctx.destroy();
}
process.exit(code);
