import { createServer } from "node:http";

// A LINE API stand-in for benchmarks: answers every request 200 at once, and on GET /stats says
// how many reply and push requests arrived.
let replies = 0;
let pushes = 0;
const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/stats") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ replies, pushes }));
    return;
  }
  req.resume();
  req.on("end", () => {
    if (req.url === "/v2/bot/message/reply") replies += 1;
    if (req.url === "/v2/bot/message/push") pushes += 1;
    res.writeHead(200, { "content-type": "application/json" }).end('{"sentMessages":[{"id":"1","quoteToken":"q"}]}');
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), "127.0.0.1");
