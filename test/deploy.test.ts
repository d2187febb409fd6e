/**
 * What CI can check of the production stack without a container engine: docker-compose.yml
 * against the Compose Specification's JSON schema and dclint's rules, the Dockerfile with
 * dockerfile-utils' linter, and the properties a reviewer of either file looks for.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { parse } from 'yaml';
import { describeConfig, PROJECT_ROOT } from '../lib/config';

const COMPOSE_FILE = path.join(PROJECT_ROOT, 'docker-compose.yml');
const DOCKERFILE = path.join(PROJECT_ROOT, 'Dockerfile');
const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  profiles?: string[];
  ports?: string[];
  env_file?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: unknown; disable?: boolean };
  restart?: string;
  volumes?: string[];
  networks?: string[];
  container_name?: string;
  deploy?: { replicas?: number; resources?: { limits?: { cpus?: string; memory?: string } } };
}
interface ComposeFile {
  services: Record<string, Service>;
  networks?: Record<string, { internal?: boolean } | null>;
}

/** The compose file as compose sees it before interpolation: anchors and `<<` merges resolved. */
const compose = (): ComposeFile => parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;

/** The services built from this repository's Dockerfile. */
const APP_SERVICES = ['migrate', 'temporal-setup', 'api', 'worker'];
/** Services that run once and exit; the others run for good. */
const ONE_SHOTS = ['temporal-schema', 'temporal-setup', 'migrate', 'certbot'];
/** Long-running services without a probe in compose, and why. */
const NO_PROBE: Record<string, string> = {
  api: "the image's HEALTHCHECK (GET /api/health) applies",
  worker: 'serves no HTTP; Temporal reassigns its tasks and `restart` revives it',
  'temporal-ui': 'the image has no HTTP client to probe with',
  mailpit: 'the image brings its own HEALTHCHECK',
};

describe('docker-compose.yml', () => {
  it('when validated against the Compose Specification JSON schema, then it has no errors', () => {
    // The schema dclint ships, a copy of compose-spec/compose-spec's schema/compose-spec.json.
    const schema = JSON.parse(read('node_modules/dclint/schemas/compose.schema.json')) as Record<string, unknown>;
    assert.equal(schema.title, 'Compose Specification');
    // It names draft-07 by an https URL; Ajv knows draft-07 by its canonical http one.
    schema.$schema = 'http://json-schema.org/draft-07/schema#';
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const ok = validate(compose());
    assert.ok(ok, (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('\n'));

    // The check has teeth: a misspelt key and an unknown start condition are refused.
    const broken = compose();
    (broken.services.api as Record<string, unknown>).helthcheck = { test: ['NONE'] };
    broken.services.worker!.depends_on = { migrate: { condition: 'service_done' } };
    assert.equal(validate(broken), false);
  });

  it('when linted by dclint (style rules off), then it reports no problem', async () => {
    const { DCLinter } = await import('dclint'); // an ES module
    const linter = new DCLinter({
      quiet: true,
      debug: false,
      exclude: [],
      rules: {
        // Key and service order are style; the file is ordered by start-up instead.
        'service-keys-order': 0,
        'services-alphabetical-order': 0,
        'service-dependencies-alphabetical-order': 0,
        'service-ports-alphabetical-order': 0,
        'top-level-properties-order': 0,
        'require-quotes-in-ports': 0,
        // The app services build one image and name it, so every command runs the same build.
        'no-build-and-image': 0,
        'no-duplicate-container-names': 2,
        'no-duplicate-exported-ports': 2,
        'no-unbound-port-interfaces': 2,
        'no-quotes-in-volumes': 2,
        'no-version-field': 2,
        'require-project-name-field': 2,
        'service-image-require-explicit-tag': 2,
      },
    });
    const [result] = linter.lintFiles([COMPOSE_FILE], false);
    const messages: { line: number; column: number; rule: string; message: string }[] = result!.messages;
    const problems = messages.map((m) => `${m.line}:${m.column} ${m.rule}: ${m.message}`);
    assert.deepEqual(problems, []);
  });

  it('when a service publishes a port, then it is nginx (80 and 443, the Web UI listener on the loopback only), or a profile-only service on the loopback', () => {
    const published = Object.entries(compose().services).filter(([, s]) => s.ports?.length);
    for (const [name, service] of published) {
      if (name === 'nginx') {
        assert.deepEqual(service.ports, ['0.0.0.0:80:80', '0.0.0.0:443:443', '127.0.0.1:8443:8443']);
      } else {
        assert.ok(service.profiles?.length, `${name} publishes ${service.ports!.join(', ')} in the default profile`);
        for (const port of service.ports!) assert.match(port, /^127\.0\.0\.1:/, `${name} publishes ${port} beyond the loopback`);
      }
    }
    // PostgreSQL, Redis and Temporal sit on a network with no route in or out.
    const { services, networks } = compose();
    assert.equal(networks?.backend?.internal, true);
    for (const name of ['postgres', 'redis', 'temporal', 'temporal-schema']) assert.deepEqual(services[name]!.networks, ['backend'], name);
  });

  it('when the stack starts, then the schema jobs, migrate and temporal-setup finish before api and worker, and nginx waits for healthy APIs', () => {
    const { services } = compose();
    const waitsFor = (name: string) => services[name]!.depends_on ?? {};
    const completed = { condition: 'service_completed_successfully' };
    const healthy = { condition: 'service_healthy' };
    assert.deepEqual(waitsFor('temporal-schema').postgres, healthy);
    assert.deepEqual(waitsFor('temporal')['temporal-schema'], completed);
    assert.deepEqual(waitsFor('temporal-setup').temporal, healthy);
    assert.deepEqual(waitsFor('migrate').postgres, healthy);
    for (const name of ['api', 'worker']) {
      assert.deepEqual(waitsFor(name), {
        postgres: healthy,
        redis: healthy,
        migrate: completed,
        'temporal-setup': completed,
      });
    }
    assert.deepEqual(waitsFor('nginx').api, healthy);

    // A service waited on as healthy has a probe, and one waited on as completed runs once.
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = services[dependency];
        assert.ok(target, `${name} depends on unknown ${dependency}`);
        if (condition === 'service_healthy') {
          const probed = target.healthcheck?.test || (APP_SERVICES.includes(dependency) && !target.healthcheck?.disable);
          assert.ok(probed, `${name} waits for ${dependency} to be healthy, but it has no health check`);
        }
        if (condition === 'service_completed_successfully') {
          assert.ok(ONE_SHOTS.includes(dependency), `${name} waits for ${dependency} to complete`);
          assert.equal(target.restart, 'no', `${dependency} is restarted, so it never completes`);
        }
      }
    }
  });

  it('when a service runs for good, then it has a health check (or a stated reason) and restarts', () => {
    for (const [name, service] of Object.entries(compose().services)) {
      if (ONE_SHOTS.includes(name)) continue;
      assert.equal(service.restart, 'unless-stopped', name);
      if (NO_PROBE[name]) continue;
      assert.ok(Array.isArray(service.healthcheck?.test), `${name} has no health check`);
    }
    assert.equal(compose().services.api!.healthcheck, undefined, 'api keeps the Dockerfile HEALTHCHECK');
    assert.ok(/^HEALTHCHECK /m.test(readFileSync(DOCKERFILE, 'utf8')));
  });

  it('when a secret is needed, then it comes from .env as a required ${VAR:?...}, and the API and worker never get the infrastructure passwords', () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    const { services } = compose();
    for (const secret of ['POSTGRES_PASSWORD', 'TEMPORAL_DB_PASSWORD', 'APP_DATABASE_PASSWORD', 'JWT_SECRET', 'DOMAIN']) {
      assert.match(text, new RegExp(`\\$\\{${secret}:\\?[^}]+\\}`), `${secret} is not required with \${${secret}:?message}`);
    }
    // No value that looks like a secret is written into the file.
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|PWD|TOKEN|KEY/.test(key)) {
          assert.ok(value === '' || /^\$\{[A-Z_]+:\?[^}]+\}$/.test(String(value)), `${name}: ${key} is written into the file`);
        }
        if (/:\/\/[^/@]*:[^/@]*@/.test(String(value))) {
          assert.match(String(value), /:\/\/[^@]*:\$\{[A-Z_]+:\?[^}]+\}@/, `${name}: ${key} holds a literal password`);
        }
      }
    }
    for (const name of APP_SERVICES) {
      const service = services[name]!;
      assert.deepEqual(service.env_file, ['.env'], `${name} does not read .env`);
      assert.equal(service.environment?.NODE_ENV, 'production', name);
      if (name === 'migrate') continue;
      // .env holds the superuser's and Temporal's passwords; only migrate and the jobs that
      // need them see one.
      assert.equal(service.environment?.POSTGRES_PASSWORD, '', `${name} gets POSTGRES_PASSWORD`);
      assert.equal(service.environment?.TEMPORAL_DB_PASSWORD, '', `${name} gets TEMPORAL_DB_PASSWORD`);
      assert.equal(service.environment?.DATABASE_URL, 'postgres://blogger_app@postgres:5432/blogger_analytics', name);
    }
    assert.match(services.migrate!.environment!.DATABASE_URL!, /\$\{POSTGRES_PASSWORD:\?/);
  });

  it('when the app image runs, then each service runs compiled JavaScript with node (never tsx), and the API runs twice behind one trusted proxy hop', () => {
    const { services } = compose();
    const commands = Object.fromEntries(APP_SERVICES.map((name) => [name, services[name]!.command]));
    assert.deepEqual(commands, {
      migrate: ['node', 'dist/scripts/migrate.js', 'latest'],
      'temporal-setup': ['node', 'dist/scripts/temporalSetup.js'],
      api: ['node', 'dist/api/server.js'],
      worker: ['node', 'dist/temporal/worker.js'],
    });
    const images = new Set(APP_SERVICES.map((name) => services[name]!.image));
    assert.equal(images.size, 1, 'one image for every app service');
    assert.equal(services.api!.deploy?.replicas, 2);
    assert.equal(services.api!.environment?.TRUST_PROXY_HOPS, '1');
    // Scalable: a fixed container name would stop a second replica.
    for (const name of ['api', 'worker']) assert.equal(services[name]!.container_name, undefined, name);
  });

  it('when a service runs, then it has CPU and memory limits', () => {
    for (const [name, service] of Object.entries(compose().services)) {
      const limits = service.deploy?.resources?.limits;
      assert.ok(limits?.cpus && limits.memory, `${name} has no resource limits`);
    }
  });

  it('when compose mounts a file from the repository, then it exists (the operator makes deploy/nginx/htpasswd)', () => {
    for (const [name, service] of Object.entries(compose().services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('./') || source === './deploy/nginx/htpasswd') continue;
        assert.ok(existsSync(path.join(PROJECT_ROOT, source)), `${name} mounts ${source}, which is missing`);
      }
    }
  });

  it('when .env.production.example is compared with the compose file, then it names every variable compose reads, and nothing unknown', () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    const used = new Set([...text.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!));
    const example = read('.env.production.example');
    const listed = new Set([...example.matchAll(/^#? ?([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    assert.deepEqual(
      [...used].filter((v) => !listed.has(v)),
      [],
      'variables of docker-compose.yml missing from .env.production.example',
    );
    const configKeys = new Set(describeConfig().map((k) => k.key));
    const unknown = [...listed].filter((v) => !used.has(v) && !configKeys.has(v) && v !== 'LETSENCRYPT_EMAIL');
    assert.deepEqual(unknown, [], 'keys of .env.production.example that neither compose nor lib/config.ts reads');
  });
});

describe('Dockerfile', () => {
  const text = () => readFileSync(DOCKERFILE, 'utf8');
  const stages = () => {
    const instructions = DockerfileParser.parse(text()).getInstructions();
    const byStage: Record<string, Instruction[]> = {};
    let current = '';
    for (const instruction of instructions) {
      if (instruction.getKeyword() === 'FROM') current = instruction.getArgumentsContent()!.split(/\s+AS\s+/i)[1] ?? '';
      (byStage[current] ??= []).push(instruction);
    }
    return byStage;
  };
  const lines = (instructions: Instruction[] = [], keyword?: string) =>
    instructions.filter((i) => !keyword || i.getKeyword() === keyword).map((i) => i.getTextContent().replace(/\s*\\\n\s*/g, ' '));

  it('when linted by dockerfile-utils, then it reports no problem', () => {
    const problems = lintDockerfile(text()).map((d) => `${d.range.start.line + 1}: ${d.message}`);
    assert.deepEqual(problems, []);
    // The linter has teeth: a broken instruction is reported.
    assert.ok(lintDockerfile(`${text()}\nHEALTHCHECK --interval=soon CMD true\n`).length > 0);
  });

  it('when the image is built, then deps, production deps and the build (type-check, build) are separate stages', () => {
    const byStage = stages();
    assert.deepEqual(Object.keys(byStage), ['', 'base', 'deps', 'prod-deps', 'build', 'runtime']);
    assert.ok(lines(byStage.deps, 'RUN').some((l) => /^RUN npm ci\b(?!.*--omit)/.test(l)));
    assert.ok(lines(byStage['prod-deps'], 'RUN').some((l) => /^RUN npm ci --omit=dev\b/.test(l)));
    assert.deepEqual(lines(byStage.build, 'RUN'), ['RUN npm run typecheck && npm run build']);
  });

  it('when the runtime stage is read, then it holds production dependencies and dist only, runs as a non-root user in production mode, and probes the API', () => {
    const runtime = stages().runtime!;
    assert.deepEqual(lines(runtime, 'COPY'), [
      'COPY package.json package-lock.json ./',
      'COPY --from=prod-deps /app/node_modules ./node_modules',
      'COPY --from=build /app/dist ./dist',
    ]);
    assert.deepEqual(lines(runtime, 'RUN'), [], 'the runtime stage installs nothing itself');
    assert.deepEqual(lines(runtime, 'USER'), ['USER node']);
    assert.deepEqual(lines(runtime, 'ENV'), ['ENV NODE_ENV=production']);
    assert.match(lines(runtime, 'HEALTHCHECK')[0] ?? '', /\/api\/health/);
    assert.match(lines(runtime, 'CMD')[0] ?? '', /^CMD \["node", "dist\/api\/server\.js"\]$/);
    assert.doesNotMatch(text(), /\btsx\b.*dist|CMD .*tsx/);
  });

  it('when the image is read, then no secret is baked in, and .dockerignore keeps .env, node_modules and dist out of the context', () => {
    for (const line of lines(DockerfileParser.parse(text()).getInstructions()).filter((l) => /^(ENV|ARG) /.test(l))) {
      assert.doesNotMatch(line, /PASSWORD|SECRET|TOKEN|_KEY/, line);
    }
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['.env', '.env.*', 'node_modules', 'dist', '.git', '.data']) {
      assert.ok(ignored.includes(entry), `${entry} not in .dockerignore`);
    }
  });
});
