export * from './responders';
export * from './rotor';
export * from './challtestsrv';
export * from './servers';
export * from './acme-test-client';
export * from './databases';
