import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** `docker-compose config` parses and normalizes the file without a Docker engine. */
function normalizedCompose(): string {
  return execFileSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config'], {
    env: { ...process.env, POSTLOOM_API_KEY: 'pl_test', POSTLOOM_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') },
    encoding: 'utf8',
  });
}

/** Service name -> the app its command starts (`dist/apps/<app>/main.js`), from the normalized YAML. */
function servicesOf(yaml: string): Map<string, string | null> {
  const services = new Map<string, string | null>();
  let inServices = false;
  let current: string | null = null;
  for (const line of yaml.split('\n')) {
    if (/^\S/.test(line)) {
      inServices = line.startsWith('services:');
      current = null;
      continue;
    }
    if (!inServices) continue;
    const name = /^ {2}([\w-]+):\s*$/.exec(line);
    if (name) {
      current = name[1];
      services.set(current, null);
      continue;
    }
    const app = /dist\/apps\/([\w-]+)\/main\.js/.exec(line);
    if (current && app) services.set(current, app[1]);
  }
  return services;
}

describe('docker-compose.yml', () => {
  const services = servicesOf(normalizedCompose());

  it('brings up the engines and the apps', () => {
    for (const name of ['eventstore', 'mongo', 'nats', 'api', 'projector', 'scheduler', 'publisher-bluesky', 'publisher-mastodon']) {
      expect(services.has(name)).toBe(true);
    }
  });

  it('has a service for every distributed app, and every service command exists', () => {
    // embedded is the all-in-one alternative to compose; cli is run by hand (`docker compose run api node dist/apps/cli/main.js`).
    const apps = readdirSync(join(root, 'apps')).filter((a) => !['embedded', 'cli'].includes(a));
    const started = new Set(services.values());
    for (const app of apps) expect(started).toContain(app);
    for (const [service, app] of services) {
      if (app === null) continue;
      expect(existsSync(join(root, 'apps', app, 'main.ts'))).toBe(true);
      expect(service).toBeTruthy();
    }
  });

  it('health-checks every app service on the /health endpoint it serves', () => {
    const yaml = normalizedCompose();
    for (const [service, app] of services) {
      if (app === null) continue;
      const block = yaml.slice(yaml.indexOf(`\n  ${service}:\n`) + 1).split(/\n  (?=[\w-]+:\n)/)[0];
      expect({ service, healthcheck: /healthcheck:[\s\S]*127\.0\.0\.1:3000\/health/.test(block) }).toEqual({ service, healthcheck: true });
    }
  });

  it('gives every platform a publisher service', () => {
    const yaml = normalizedCompose();
    const platforms = [...yaml.matchAll(/PLATFORMS: ([\w,]+)/g)].flatMap((m) => m[1].split(','));
    expect(platforms.sort()).toEqual(
      ['bluesky', 'discord', 'facebook', 'instagram', 'linkedin', 'mastodon', 'slack', 'telegram', 'threads', 'tiktok', 'twitter', 'youtube'].sort(),
    );
  });
});
