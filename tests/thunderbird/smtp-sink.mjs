// A loopback SMTP sink for the Thunderbird tests: accepts every message on 127.0.0.1 and
// records the envelope, the DATA bytes (dot-unstuffed) and when they arrived. Nothing is relayed anywhere.
import net from 'node:net';

export async function smtpSink() {
  const messages = [];
  const waiting = [];
  const open = new Set();
  const server = net.createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    let buffer = Buffer.alloc(0);
    let inData = false;
    let current = { from: null, to: [], data: null };
    const reply = (line) => socket.write(`${line}\r\n`);
    reply('220 127.0.0.1 Cachet test sink');
    // DATA bytes without the end mark yet, kept as chunks (a 50 MB message is joined once).
    let pending = [];
    let tail = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      if (inData && pending.length > 0) {
        pending.push(chunk);
        const look = Buffer.concat([tail, chunk]);
        if (look.indexOf('\r\n.\r\n') < 0) {
          tail = look.subarray(Math.max(0, look.length - 4));
          return;
        }
        buffer = Buffer.concat(pending);
        pending = [];
      } else buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          const start = buffer.subarray(0, 3).toString() === '.\r\n' ? 0 : -1;
          if (end < 0 && start < 0) {
            if (buffer.length > 0) {
              pending = [buffer];
              tail = buffer.subarray(Math.max(0, buffer.length - 4));
              buffer = Buffer.alloc(0);
            }
            return;
          }
          const body = start === 0 ? Buffer.alloc(0) : buffer.subarray(0, end + 2);
          buffer = buffer.subarray(start === 0 ? 3 : end + 5);
          inData = false;
          current.data = Buffer.from(body.toString('latin1').replace(/^\.\./gm, '.'), 'latin1');
          current.at = Date.now();
          messages.push(current);
          waiting.splice(0).forEach((w) => w());
          current = { from: null, to: [], data: null };
          reply('250 2.0.0 queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.subarray(0, eol).toString('latin1');
        buffer = buffer.subarray(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply('250-127.0.0.1\r\n250-8BITMIME\r\n250 SIZE 104857600');
        else if (verb === 'HELO') reply('250 127.0.0.1');
        else if (verb === 'MAIL') { current.from = /<([^>]*)>/.exec(line)?.[1] ?? ''; reply('250 2.1.0 ok'); }
        else if (verb === 'RCPT') { current.to.push(/<([^>]*)>/.exec(line)?.[1] ?? ''); reply('250 2.1.5 ok'); }
        else if (verb === 'DATA') { inData = true; reply('354 end with <CRLF>.<CRLF>'); }
        else if (verb === 'RSET') { current = { from: null, to: [], data: null }; reply('250 ok'); }
        else if (verb === 'QUIT') { reply('221 bye'); socket.end(); }
        else reply('250 ok');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    messages,
    /** Resolves when `n` messages have arrived (or rejects after `ms`). */
    async until(n, ms = 20_000) {
      const end = Date.now() + ms;
      while (messages.length < n) {
        if (Date.now() > end) throw new Error(`the SMTP sink got ${messages.length} message(s), expected ${n}`);
        await new Promise((r) => { waiting.push(r); setTimeout(r, 200); });
      }
      return messages;
    },
    /**
     * Stop listening and end the connections still open: Thunderbird keeps an idle connection
     * for its next message and would otherwise hold the close up for seconds (it ends it on
     * the sink's end, as when a server times an idle connection out).
     */
    close: () => new Promise((resolve) => {
      server.close(resolve);
      for (const s of open) s.end();
    }),
  };
}
