import 'reflect-metadata';

// Tests log at warn level unless asked otherwise (LOG_LEVEL=debug npm test).
process.env.LOG_LEVEL ??= 'warn';
process.env.NODE_ENV ??= 'test';
