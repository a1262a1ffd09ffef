// The dmmlab node agent (issue 4 fills it in).
const VERSION = '0.1.0';
if (process.argv.includes('--version')) {
  process.stdout.write(`dmmlab-agent ${VERSION}\n`);
  process.exit(0);
}
