// Runs before every test file (jest `setupFiles`): the tests describe the library's defaults, so a
// placement profile exported in the developer's shell (CDK8S_STATEFUL_PLACEMENT) must not change them.
delete process.env.CDK8S_STATEFUL_PLACEMENT;
