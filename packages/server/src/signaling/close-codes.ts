/** WebSocket close codes Conclave uses (4000–4999 are application codes; the rest are RFC 6455's). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  PolicyViolation: 1008,
  TooLarge: 1009,
  ServerError: 1011,
  JoinTimeout: 4001,
  Kicked: 4002,
  JoinRefused: 4003,
  IdleTimeout: 4004,
  MediaReset: 4005,
} as const;
