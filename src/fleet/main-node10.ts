// The entry of the bundle the alpine:3.10 fleet image runs on Node 10.
import '../compat/node10.js';
import './main.js';
