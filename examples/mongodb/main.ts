// MongoDB replica sets for a shop's catalog and sessions, and the app that connects to the catalog.
import { App, Chart } from 'cdk8s';
import { addCatalog } from './catalog';

const app = new App();
const chart = new Chart(app, 'catalog', { namespace: 'shop' });
addCatalog(chart);
app.synth();
