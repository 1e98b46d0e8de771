import { benchCost } from "./cost.js";
import { printCost } from "./cost-report.js";

/** `npm run cost`: the cost section of `npm run bench` on its own. */
console.log(`Cost — node ${process.version}, ${new Date().toISOString()}\n`);
printCost(await benchCost());
