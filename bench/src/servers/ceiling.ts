import { createServer } from 'node:http';

/**
 * The ceiling: bare node:http answering `/audio/:fileId` with the 307 a public track gets, and no
 * other work. What this machine and the load generator can do at most.
 */
const port = Number(process.env.PORT);
const cdnBaseUrl = process.env.CDN_BASE_URL!;
const PREFIX = '/audio/';

createServer((req, res) => {
  const url = req.url ?? '/';
  const fileId = url.startsWith(PREFIX) ? url.slice(PREFIX.length) : '';
  res.writeHead(307, { Location: `${cdnBaseUrl}/audio/${fileId}.mp3`, 'Content-Length': '0' });
  res.end();
}).listen(port, '127.0.0.1');

// A normal exit, so `--cpu-prof` writes its profile.
process.once('SIGTERM', () => process.exit(0));
