export { loadConfig, type Config, type ConfigInput, CONFIG_ENV_VARS } from './config.ts';
export { createLogger, type Logger } from './logger.ts';
export {
  openAuditLog,
  openConfiguredStores,
  openOperatorAccounts,
  startConclave,
  type ConclaveServer,
} from './main.ts';
export { turnserverConf } from './turn/turn-service.ts';
