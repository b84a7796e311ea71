import module from 'node:module';
module.enableCompileCache?.();
const { runAction } = await import('../lib/index.js');
await runAction("scale");
