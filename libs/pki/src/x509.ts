// @peculiar/x509 v2 resolves its algorithm providers through tsyringe, which
// needs the Reflect metadata polyfill loaded first. Every libs/pki module
// imports x509 through this file so the order can never be wrong.
import 'reflect-metadata';

export * from '@peculiar/x509';
