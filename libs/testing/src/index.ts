export * from './responders';
export * from './rotor';
export * from './challtestsrv';
export * from './servers';
