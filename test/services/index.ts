/**
 * Real local peers for tests: PostgreSQL, Pushgateway, Prometheus, a
 * scriptable HTTP endpoint, a webhook receiver and a simulated GitHub API.
 */
export * from './exposition.js';
export * from './github-api.js';
export * from './http-endpoint.js';
export * from './ports.js';
export * from './postgres.js';
export * from './prometheus.js';
export * from './s3.js';
export * from './webhook-receiver.js';
