// Whatever the storage bench starts (network namespaces, servers, temporary
// folders) is registered here and removed on every way out: a normal end, an
// error, Ctrl-C (SIGINT), SIGTERM or SIGHUP. Actions are synchronous, because
// an 'exit' handler cannot wait.
const actions = [];
let installed = false;
let ran = false;

function runAll() {
  if (ran) return;
  ran = true;
  for (const a of actions.reverse()) {
    try {
      a.run();
    } catch (err) {
      process.stderr.write(`bench: cleanup of ${a.what} failed: ${err.message}\n`);
    }
  }
}

/**
 * Registers a synchronous cleanup action; returns a function that runs it now
 * (once) and forgets it.
 *
 * @example const undo = onCleanup('netns dfbench-1', () => spawnSync('ip', ['netns', 'del', 'dfbench-1']));
 */
export function onCleanup(what, run) {
  if (!installed) {
    installed = true;
    process.on('exit', runAll);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.on(sig, () => {
        process.stderr.write(`\nbench: ${sig}: removing what the bench started\n`);
        runAll();
        process.exit(130);
      });
    }
  }
  const entry = { what, run };
  actions.push(entry);
  return () => {
    const i = actions.indexOf(entry);
    if (i < 0) return;
    actions.splice(i, 1);
    run();
  };
}
