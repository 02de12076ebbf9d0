/**
 * labrpc: the simulated network of 6.5840 (drops, delays, reordering, disconnects, counts),
 * and the codec every argument, reply and persisted state goes through.
 */
export { Network, type ClientEnd, type EndName, type ServerName, type RpcEvent, type RpcFate, type RpcObserver, type Message, type MessageVerdict, type MessageInterceptor, type HandledRpc, type HandledObserver } from './network.ts';
export { Server, Service, UnknownMethodError, HandlerError } from './service.ts';
export { encode, decode, CodecError, setWarningSink, warningCount, resetWarnings, type WarningSink } from './codec.ts';
