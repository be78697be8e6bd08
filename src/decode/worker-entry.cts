/**
 * The file piscina loads in each decode worker: CommonJS, so that piscina's
 * `require()` of it is an ordinary require. The worker itself (worker.ts) is
 * an ES module, loaded here with import() only. Node 20's require() of an ES
 * module has a race when two loads of one graph overlap (piscina loads the
 * handler when the worker starts and again for a task that arrives meanwhile):
 * the process aborts with "v8::Module::IsGraphAsync must be used on an
 * instantiated module" (seen once in a bench run).
 */
type Handler = (task: unknown) => Promise<unknown>;
let worker: Promise<{ default: Handler }> | undefined;

async function decodeTask(task: unknown): Promise<unknown> {
  worker ??= import('./worker.js') as Promise<{ default: Handler }>;
  return (await worker).default(task);
}

export = decodeTask;
