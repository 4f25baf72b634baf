import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

/**
 * A uPlot chart that follows its container's width. `options` are read
 * once (uPlot's own options, without width and height); `data` is
 * uPlot's columns, [x[], y1[], ...], updated in place.
 */
export default function UPlotChart({ options, data, height = 200, visible = true }) {
  const box = useRef(null);
  const chart = useRef(null);

  useEffect(() => {
    const el = box.current;
    chart.current = new uPlot({ ...options, width: Math.max(200, el.clientWidth), height }, data, el);
    const resize = new ResizeObserver(() => {
      if (el.clientWidth > 0) chart.current?.setSize({ width: el.clientWidth, height });
    });
    resize.observe(el);
    return () => { resize.disconnect(); chart.current?.destroy(); chart.current = null; };
  }, []);  // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => { chart.current?.setData(data); }, [data]);
  useEffect(() => {
    if (visible && box.current?.clientWidth) chart.current?.setSize({ width: box.current.clientWidth, height });
  }, [visible, height]);

  return <div className="uplot-box" ref={box} />;
}
