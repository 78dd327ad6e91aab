import { cdk8s, javascript } from 'projen';

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-stateful',
  description: 'Typed, production-grade stateful workloads for cdk8s: storage classes, volumes, StatefulSets and replicated MySQL, PostgreSQL, MongoDB, Cassandra and Kafka, without an operator.',
  author: 'cdk8s-stateful developers',
  authorAddress: 'maintainers@cdk8s-stateful.dev',
  repositoryUrl: 'https://github.com/cdk8s-stateful/cdk8s-stateful.git',
  defaultReleaseBranch: 'main',
  keywords: ['cdk8s', 'kubernetes', 'statefulset', 'postgres', 'mysql', 'mongodb', 'cassandra', 'kafka', 'storage'],

  // projen's defaults still resolve to cdk8s 1: pin the 2.x line and constructs 10.x explicitly.
  cdk8sVersion: '2.70.0',
  constructsVersion: '10.4.2',
  cdk8sPlusVersionPinning: false,
  peerDeps: ['cdk8s-plus-27@^2.9.5'],
  devDeps: ['cdk8s-plus-27@2.9.5', 'cdk8s-cli@2.207.56', 'yaml@2.8.1', 'tsconfig-paths@^4.2.0'],
  jsiiVersion: '~6.0.0',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  publishToPypi: {
    distName: 'cdk8s-stateful',
    module: 'cdk8s_stateful',
  },

  // No hosted CI here: .ci/run is the pipeline.
  github: false,
  release: false,

  // A snapshot that drifts must fail the run, never be rewritten by it.
  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testPathIgnorePatterns: ['/node_modules/', '/examples/.*/dist'],
      setupFiles: ['<rootDir>/test/setup-env.ts'],
    },
  },
  tsconfigDev: {
    include: ['../src/**/*.ts', '../examples/**/*.ts', '../scripts/**/*.ts'],
    // The examples import the library by its package name, as apps do: here that name is the sources
    // (examples/tsconfig.json maps it the same way for `cdk8s synth`, through tsconfig-paths).
    compilerOptions: { paths: { 'cdk8s-stateful': ['../src/index.ts'] } },
  },
  gitignore: ['examples/*/dist/', 'examples/*/dist-*/', '/bench-results/', '.venv/'],
  // `npm test` must never change the tree: lint without --fix (`npx projen eslint:fix` fixes).
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'build-tools', 'projenrc'],
    commandOptions: { fix: false },
    // projen's defaults, plus the code `cdk8s import` generates (scripts/import-crds.sh): not ours to lint.
    ignorePatterns: ['*.js', '*.d.ts', 'node_modules/', '*.generated.ts', 'coverage', '!.projenrc.ts', '!projenrc/**/*.ts', 'src/imports/'],
  },
});

// The npm tarball holds the library, its docs and API.md, not the repository's tooling.
for (const path of ['/.ci/', '/bench/', '/scripts/', '/examples/', '/bench-results/']) {
  project.addPackageIgnore(path);
}

// Packaging works on a fresh clone: each package task compiles first (jsii-pacmak needs .jsii).
for (const name of ['package:js', 'package:python']) {
  project.tasks.tryFind(name)!.prependSpawn(project.compileTask);
}

// Python reserved words in the public API must stay visible, not silenced.
project.compileTask.reset('jsii');

project.addTask('eslint:fix', {
  description: 'Lint and fix what can be fixed (`npm test` lints without fixing)',
  env: { ESLINT_USE_FLAT_CONFIG: 'false', NODE_NO_WARNINGS: '1' },
  exec: 'eslint --fix --ext .ts,.tsx --no-error-on-unmatched-pattern src test build-tools projenrc .projenrc.ts',
  receiveArgs: true,
});

// Tests are type-checked as a whole (ts-jest transpiles each file alone because of isolatedModules).
project.testTask.prependExec('tsc -p test/tsconfig.json --noEmit', { name: 'type-check src, tests and examples' });

project.addTask('synth', {
  description: 'Synthesize every example app to examples/<name>/dist/*.k8s.yaml',
  exec: 'ts-node --project test/tsconfig.json scripts/synth-examples.ts',
  receiveArgs: true,
});

// The slower checks, each installing what it needs; .ci/run runs them all after `npm test`.
project.addTask('test:manifests', {
  description: 'Strict schema (1.27 + newest), YAML 1.1 reading, Pod Security restricted and kube-score on every example',
  exec: 'bash test/manifests/check.sh',
});
project.addTask('test:integration', {
  description: 'Real binaries: PostgreSQL, Kafka and Cassandra on loopback; shellcheck and script checks for every engine',
  exec: 'bash scripts/run-integration.sh',
  receiveArgs: true,
});
project.addTask('test:cluster', {
  description: 'A real control plane (kube-apiserver, controller-manager, scheduler, etcd, kwok): apply, schedule, evict, scale every example',
  exec: 'bash test/cluster/run.sh',
});
project.addTask('test:cluster:single', {
  description: 'The control plane with one node and no zone labels (kind, minikube, k3d): every example, synthesized with the development placement, must become Ready',
  env: { CLUSTER_TEST_LAYOUT: 'single' },
  exec: 'bash test/cluster/run.sh',
});
project.addTask('test:python', {
  description: "Build the Python wheel, install it in a fresh virtualenv, run the Python example and the README's Python quickstart (same YAML as its TypeScript twin)",
  exec: 'bash scripts/check-python.sh',
});
project.addTask('test:npm-consumer', {
  description: "npm pack, then the README's TypeScript quickstart, taken from README.md, in a fresh app outside the repository, with the tarball",
  exec: 'bash scripts/check-npm-consumer.sh',
});
project.addTask('bench', {
  description: 'Synth time and peak memory for 1..1000 instances of each engine against a plain ApiObject floor',
  exec: 'ts-node --project test/tsconfig.json -T bench/synth.ts',
  receiveArgs: true,
});

project.synth();
