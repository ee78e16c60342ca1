/**
 * Jest global setup: says, before anything runs, which suites need a server this run was
 * not given. Their own skip notices are swallowed by Jest once every test in a file is
 * skipped, so without this a run without the servers would look complete.
 */
module.exports = async function announceLeftOut() {
  const servers = [
    ['EVENTSTORE_URL', 'EventStoreDB event store contract suite', 'esdb://localhost:2113?tls=false'],
    ['MONGO_URL', 'MongoDB read model, registry and GridFS media storage contract suites', 'mongodb://localhost:27017'],
  ];
  const missing = servers.filter(([name]) => !process.env[name]);
  if (missing.length === 0) return;
  const lines = missing.map(([name, suites, example]) => `  LEFT OUT: ${suites}: ${name} is not set (e.g. ${name}=${example})`);
  process.stderr.write(`\n${lines.join('\n')}\n  (npm run test:distributed runs exactly these once the servers are up)\n\n`);
};
