export { loadConfig, type Config, type ConfigInput, CONFIG_ENV_VARS } from './config.ts';
export { createLogger, type Logger } from './logger.ts';
export { openConfiguredStores, startConclave, type ConclaveServer } from './main.ts';
