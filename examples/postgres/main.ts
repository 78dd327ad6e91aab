// A replicated PostgreSQL for a shop's orders, and the app that connects to it.
import { App, Chart } from 'cdk8s';
import { addOrders } from './orders';

const app = new App();
const chart = new Chart(app, 'orders', { namespace: 'shop' });
addOrders(chart);
app.synth();
