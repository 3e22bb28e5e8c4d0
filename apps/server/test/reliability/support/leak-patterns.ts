/**
 * Text that only a database, driver or runtime failure would put in a response: Postgres and
 * postgres.js messages, drizzle's "Failed query", connection error codes, stack frames, file paths.
 */
export const DRIVER_TEXT =
  /PostgresError|Failed query|syntax error at|relation "|column "|violates [a-z ]+constraint|duplicate key|invalid byte sequence|invalid input syntax|SQLSTATE|drizzle|ioredis|ECONNREFUSED|ECONNRESET|ETIMEDOUT|CONNECT_TIMEOUT|node_modules|\bat [\w.<>]+ \(|\.ts:\d+:\d+|\/work\//;
