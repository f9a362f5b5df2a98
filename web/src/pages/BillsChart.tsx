import { useEffect, useRef } from 'react';
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LineController, LineElement, LinearScale, PointElement,
  Tooltip,
} from 'chart.js';
import type { BillRow } from '../grid/indexer';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
);

const tft = (units: string) => Number(BigInt(units)) / 1e7;

/** Each bill as a bar, and the running total as a line, in TFT. */
export function BillsChart({ bills }: { bills: BillRow[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    let total = 0;
    const running = bills.map((b) => (total += tft(b.amount)));
    const chart = new Chart(canvas.current, {
      data: {
        labels: bills.map((b) => `#${b.blockNumber}`),
        datasets: [
          {
            type: 'bar',
            label: 'bill (TFT)',
            data: bills.map((b) => tft(b.amount)),
            backgroundColor: '#0b5cad',
            yAxisID: 'y',
          },
          { type: 'line', label: 'total (TFT)', data: running, borderColor: '#e07b00', yAxisID: 'total' },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          y: { beginAtZero: true, position: 'left' },
          total: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } },
        },
      },
    });
    return () => chart.destroy();
  }, [bills]);
  return <div className="chart"><canvas ref={canvas} data-testid="bills-chart" /></div>;
}
