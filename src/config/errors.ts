// The configuration's error, apart from the schema so that the algorithms (which the schema
// lists) can throw it without an import cycle.
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
  }
}
