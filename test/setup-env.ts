import 'reflect-metadata';

// Tests log at warn level unless asked otherwise (LOG_LEVEL=debug npm test).
process.env.LOG_LEVEL ??= 'warn';
process.env.NODE_ENV ??= 'test';
// Servers a test stops close their connections at once: a teardown has nothing in flight to wait
// for, and waiting for idle keep-alive connections would cost seconds per server. The suites that
// test the drain give a grace period of their own.
process.env.SHUTDOWN_GRACE_SECONDS ??= '0';
