// The block cache lives with the targets (inspect uses it too); readers import it from here as before.
export * from '../target/block-cache.js';
