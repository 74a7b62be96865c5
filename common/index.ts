/** The shared plumbing every subgraph and the gateway import. Nothing else is shared. */
import 'reflect-metadata';

export * from './auth';
export * from './config';
export * from './crypto';
export * from './db';
export * from './errors';
export * from './federation';
export * from './loaders';
export * from './logger';
export * from './mutation';
export * from './platform';
export * from './pubsub';
export * from './relay';
export * from './scalars';
export * from './server';
export * from './ids';
export * from './jobs';
export * from './audience';
export * from './markdown';
export * from './key-value';
export * from './clock';
export * from './db-types';
export * from './audit';
export * from './webhooks';
