/* benchy report: draws the results embedded in #benchy-data with Chart.js.
 * Every text from a result is set with textContent, never as markup.
 * When done it writes a self-check into #benchy-selfcheck (charts, their
 * series and points, painted pixels, errors caught, the time drawing took)
 * that the tests and the benchmark read from the DOM. */
(function () {
  'use strict';
  var errors = [];
  window.addEventListener('error', function (e) {
    errors.push(String(e.message || e) + (e.filename ? ' at ' + e.filename + ':' + e.lineno : ''));
  });
  /* A load the page's Content-Security-Policy refused: the page tried the network. */
  document.addEventListener('securitypolicyviolation', function (e) {
    errors.push('blocked by the page\'s policy: ' + e.blockedURI + ' (' + e.violatedDirective + ')');
  });
  var consoleError = console.error;
  console.error = function () {
    errors.push(Array.prototype.map.call(arguments, String).join(' '));
    consoleError.apply(console, arguments);
  };

  var charts = [];
  var notes = [];
  var drawnMs = null;
  var PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2',
                 '#17becf', '#bcbd22', '#7f7f7f'];
  var DASHES = [[], [7, 4], [2, 3], [10, 3, 2, 3]];
  var METRIC_NAMES = {ttft: 'TTFT', tpot: 'TPOT', itl: 'ITL', e2el: 'E2EL'};

  function color(i, alpha) {
    var c = PALETTE[i % PALETTE.length];
    if (alpha === undefined) return c;
    var n = parseInt(c.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  }
  function el(tag, parent, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    if (parent) parent.appendChild(e);
    return e;
  }
  function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }
  function fmt(v, digits) {
    if (v === null || v === undefined) return '—';
    if (typeof v !== 'number') return String(v);
    if (digits === undefined && Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
    return v.toFixed(digits === undefined ? (a >= 100 ? 1 : a >= 1 ? 2 : 3) : digits);
  }
  /* Legends name a result by its file's last part when that tells them apart. */
  var shortNames = true;
  function shortLabel(label) { return String(label).replace(/^.*\//, ''); }
  function runName(run) {
    return (shortNames ? shortLabel(run.label) : run.label) + (run.invalid ? ' (INVALID)' : '');
  }
  function levelName(level) {
    return level.label || ('level ' + level.level);
  }

  /* Chart.js has no error bars, point labels or vertical markers: one small
   * plugin draws the three from properties we put on datasets and options. */
  var extras = {
    id: 'benchyExtras',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      chart.data.datasets.forEach(function (ds, di) {
        var meta = chart.getDatasetMeta(di);
        if (meta.hidden) return;
        if (ds.errors) {
          var y = chart.scales[meta.yAxisID];
          ctx.save();
          ctx.strokeStyle = '#333';
          ctx.lineWidth = 1.2;
          meta.data.forEach(function (bar, i) {
            var v = ds.data[i] && typeof ds.data[i] === 'object' ? ds.data[i].y : ds.data[i];
            var e = ds.errors[i];
            if (num(v) === null || num(e) === null || e <= 0) return;
            var top = y.getPixelForValue(v + e), bottom = y.getPixelForValue(Math.max(v - e, y.min));
            ctx.beginPath();
            ctx.moveTo(bar.x, top); ctx.lineTo(bar.x, bottom);
            ctx.moveTo(bar.x - 4, top); ctx.lineTo(bar.x + 4, top);
            ctx.moveTo(bar.x - 4, bottom); ctx.lineTo(bar.x + 4, bottom);
            ctx.stroke();
          });
          ctx.restore();
        }
        if (ds.pointLabels) {
          ctx.save();
          ctx.fillStyle = ds.borderColor || '#333';
          ctx.font = '11px sans-serif';
          meta.data.forEach(function (pt, i) {
            if (ds.pointLabels[i]) ctx.fillText(ds.pointLabels[i], pt.x + 5, pt.y - 5);
          });
          ctx.restore();
        }
      });
      var marks = chart.options.plugins.benchyMarks;
      if (marks && chart.scales.x) {
        var area = chart.chartArea;
        ctx.save();
        ctx.font = '11px sans-serif';
        marks.forEach(function (m, i) {
          var x = chart.scales.x.getPixelForValue(m.x);
          if (x < area.left - 1 || x > area.right + 1) return;
          /* Spans back to back: every other one shaded, so each shows. */
          if (m.until !== undefined && i % 2 === 0) {
            var x2 = chart.scales.x.getPixelForValue(m.until);
            ctx.fillStyle = 'rgba(255,165,0,0.13)';
            ctx.fillRect(x, area.top, Math.max(x2 - x, 2), area.bottom - area.top);
          }
          ctx.strokeStyle = '#999';
          ctx.setLineDash([4, 3]);
          ctx.beginPath(); ctx.moveTo(x, area.top); ctx.lineTo(x, area.bottom); ctx.stroke();
          ctx.setLineDash([]);
          ctx.fillStyle = '#555';
          /* Short levels put their labels close: staggered in three rows. */
          ctx.fillText(m.text, x + 3, area.top + 11 + (i % 3) * 12);
        });
        ctx.restore();
      }
    }
  };

  function chartBox(parent, title) {
    var box = el('div', parent, null, 'chart');
    el('div', box, title, 'title');
    return el('canvas', box);
  }

  /* Every chart goes through here: no animation (drawn at once, so the
   * self-check and screenshots see it), legends without marker sets. */
  function makeChart(parent, id, title, type, datasets, options, labels) {
    var canvas = chartBox(parent, title);
    canvas.id = 'chart-' + id;
    options = options || {};
    options.animation = false;
    options.responsive = true;
    options.maintainAspectRatio = false;
    options.plugins = options.plugins || {};
    options.plugins.legend = {labels: {boxWidth: 14, font: {size: 11},
      filter: function (item, data) { return !data.datasets[item.datasetIndex].isMarker; }}};
    var data = {datasets: datasets};
    if (labels) data.labels = labels;
    var chart = new Chart(canvas.getContext('2d'), {type: type, data: data, options: options,
                                                   plugins: [extras]});
    charts.push({id: id, title: title, chart: chart});
    return chart;
  }

  function axis(title, extra) {
    var a = {title: {display: true, text: title}};
    for (var k in extra) a[k] = extra[k];
    return a;
  }

  /* ---------- load ---------- */

  function loadSection(root, runs) {
    el('h2', root, 'Load');
    var grid = el('div', root, null, 'grid');
    ['ttft', 'tpot', 'itl', 'e2el'].forEach(function (m) { cdfChart(grid, runs, m, 'levels'); });
    var grid2 = el('div', root, null, 'grid');
    paretoChart(grid2, runs, 'ttft', 'output_throughput', 'output tok/s');
    paretoChart(grid2, runs, 'tpot', 'output_throughput', 'output tok/s');
    spreadChart(grid2, runs, 'ttft');
    spreadChart(grid2, runs, 'tpot');
    var grid3 = el('div', root, null, 'grid');
    runs.forEach(function (run, r) { timelineChart(grid3, run, r); });
    failuresChart(grid3, runs);
    levelTable(root, runs);
  }

  /* One curve per run and level (or scenario), with p50/p90/p99 marked. */
  function cdfChart(parent, runs, m, part) {
    var datasets = [], series = 0, minX = Infinity, maxX = 0, zeros = false;
    runs.forEach(function (run, r) {
      var items = part === 'levels' ? run.load.levels : run.run.scenarios;
      items.forEach(function (item) {
        var pts = item.cdf && item.cdf[m];
        if (!pts || !pts.length) return;
        var c = color(series++);
        var name = runs.length > 1 ? runName(run) + ' · ' : (run.invalid ? 'INVALID · ' : '');
        name += part === 'levels' ? levelName(item) : item.scenario;
        var data = pts.map(function (p) { return {x: p[0], y: p[1]}; });
        data.forEach(function (p) {
          if (p.x > 0) minX = Math.min(minX, p.x); else zeros = true;
          maxX = Math.max(maxX, p.x);
        });
        datasets.push({label: name, data: data, borderColor: c, backgroundColor: c, showLine: true,
                       pointRadius: 0, borderWidth: 1.6, borderDash: DASHES[r % DASHES.length]});
        var marks = [];
        [50, 90, 99].forEach(function (p) {
          var v = num(item.stats && item.stats['p' + p + '_' + m + '_ms']);
          if (v !== null) marks.push({x: v, y: p});
        });
        if (marks.length)
          datasets.push({label: name + ' p50/p90/p99', data: marks, isMarker: true, borderColor: c,
                         backgroundColor: c, pointRadius: 4, pointStyle: 'rectRot', showLine: false});
      });
    });
    var title = METRIC_NAMES[m] + ' distribution (CDF from the stored histograms; ◆ p50, p90, p99)';
    if (!series) { notes.push(title + ': no samples'); return; }
    /* A log axis for latencies spanning decades, unless a value is 0 (a
     * log axis cannot place it, and a curve at 0 would vanish). */
    var logX = !zeros && maxX / minX > 30;
    makeChart(parent, 'cdf-' + m + (part === 'levels' ? '' : '-scenarios'), title, 'scatter',
      datasets, {scales: {x: axis(METRIC_NAMES[m] + ' (ms)', {type: logX ? 'logarithmic' : 'linear'}),
                          y: axis('percent of requests', {min: 0, max: 100})}});
  }

  function paretoChart(parent, runs, m, xKey, xTitle) {
    var datasets = [];
    runs.forEach(function (run, r) {
      var pts = [], labels = [];
      run.load.levels.forEach(function (l) {
        var x = num(l[xKey]), y = num(l.stats['p50_' + m + '_ms']);
        if (x === null || y === null) return;
        pts.push({x: x, y: y});
        labels.push(levelName(l));
      });
      if (!pts.length) return;
      datasets.push({label: runName(run) + ' p50', data: pts, pointLabels: labels, showLine: true,
                     borderColor: color(r), backgroundColor: color(r), pointRadius: 4,
                     borderDash: DASHES[r % DASHES.length]});
    });
    var title = METRIC_NAMES[m] + ' p50 against throughput across levels (labelled by level)';
    if (!datasets.length) { notes.push(title + ': no levels with both figures'); return; }
    makeChart(parent, 'pareto-' + m, title, 'scatter', datasets,
              {scales: {x: axis(xTitle), y: axis(METRIC_NAMES[m] + ' p50 (ms)')}});
  }

  /* p50 line, the p90 and p99 above it as a band: the spread per level. */
  function spreadChart(parent, runs, m) {
    var labels = [], datasets = [];
    runs.forEach(function (run) {
      run.load.levels.forEach(function (l) {
        if (labels.indexOf(levelName(l)) < 0) labels.push(levelName(l));
      });
    });
    runs.forEach(function (run, r) {
      function series(p) {
        return run.load.levels.map(function (l) {
          return {x: levelName(l), y: num(l.stats[p + '_' + m + '_ms'])};
        }).filter(function (p) { return p.y !== null; });
      }
      var p50 = series('p50');
      if (!p50.length) return;
      var base = datasets.length;
      datasets.push({label: runName(run) + ' p50', data: p50, borderColor: color(r),
                     backgroundColor: color(r), borderWidth: 2, pointRadius: 3});
      datasets.push({label: runName(run) + ' p90', data: series('p90'), borderColor: color(r, 0.6),
                     borderDash: [6, 3], pointRadius: 2, fill: {target: base}, backgroundColor: color(r, 0.12)});
      datasets.push({label: runName(run) + ' p99', data: series('p99'), borderColor: color(r, 0.45),
                     borderDash: [2, 3], pointRadius: 2, fill: {target: base + 1}, backgroundColor: color(r, 0.07)});
    });
    var title = METRIC_NAMES[m] + ' by level (concurrency or rate): p50, with p90 and p99 as its spread';
    if (!datasets.length) { notes.push(title + ': no samples'); return; }
    makeChart(parent, 'spread-' + m, title, 'line', datasets,
              {scales: {x: axis('level'), y: axis(METRIC_NAMES[m] + ' (ms)', {beginAtZero: true})}}, labels);
  }

  /* The levels one after another, each second: output tokens, requests in
   * flight at its end, failures; each level's start marked with its warm-up. */
  function timelineChart(parent, run, r) {
    var tokens = [], inflight = [], failed = [], marks = [], offset = 0, warmups = {};
    run.load.levels.forEach(function (l) {
      var rows = l.timeline || [], w = l.timeline_bucket_s || 1, open = 0;
      var warm = l.warmup && l.warmup.requests ? l.warmup.requests : 0;
      warmups[warm] = true;
      marks.push({x: offset, text: levelName(l) + (warm ? ' ▸w' + warm : '')});
      rows.forEach(function (row) {
        var t = offset + row[0];
        open += row[1] - row[2] - row[3];
        tokens.push({x: t, y: row[4] / w});
        inflight.push({x: t, y: open});
        failed.push({x: t, y: row[3] / w});
      });
      var last = rows.length ? rows[rows.length - 1][0] + w : 1;
      offset += Math.max(last, 1);
      /* The steps' right edge: the level's last second drawn to its end. */
      if (tokens.length) {
        tokens.push({x: offset, y: tokens[tokens.length - 1].y});
        inflight.push({x: offset, y: inflight[inflight.length - 1].y});
        failed.push({x: offset, y: failed[failed.length - 1].y});
      }
    });
    var w = Object.keys(warmups).filter(function (k) { return k !== '0'; });
    var title = runName(run) + ': per-second timeline' +
                (run.load.levels.some(function (l) { return l.timeline_bucket_s > 1; }) ? ' (seconds summed into wider buckets)' : '') +
                (w.length ? '; each level starts (dashed) after its warm-up (▸wN: N requests, not drawn)' : '');
    if (!tokens.length) { notes.push(title + ': no timeline'); return; }
    makeChart(parent, 'timeline-' + r, title, 'line', [
      {label: 'output tok/s', data: tokens, borderColor: color(0), backgroundColor: color(0), pointRadius: 0, yAxisID: 'y', stepped: true},
      {label: 'in flight (end of second)', data: inflight, borderColor: color(2), backgroundColor: color(2), pointRadius: 0, yAxisID: 'y1', stepped: true},
      {label: 'failures/s', data: failed, borderColor: color(1), backgroundColor: color(1), pointRadius: 0, yAxisID: 'y1', stepped: true}
    ], {scales: {x: axis('seconds (levels back to back)', {type: 'linear'}),
                 y: axis('output tok/s', {beginAtZero: true}),
                 y1: axis('requests', {beginAtZero: true, position: 'right', grid: {drawOnChartArea: false}})},
        plugins: {benchyMarks: marks}});
  }

  function failuresChart(parent, runs) {
    var labels = [], kinds = {};
    runs.forEach(function (run) {
      run.load.levels.forEach(function (l) {
        labels.push((runs.length > 1 ? run.label + ' · ' : '') + levelName(l));
        var f = l.failed_by_kind || {};
        for (var k in f) if (f[k] > 0) kinds[k] = true;
      });
    });
    var names = Object.keys(kinds);
    if (!names.length) { el('p', parent, 'No failed requests in any level.', 'note'); return; }
    var datasets = names.map(function (k, i) {
      var data = [];
      runs.forEach(function (run) {
        run.load.levels.forEach(function (l) { data.push((l.failed_by_kind || {})[k] || 0); });
      });
      return {label: k, data: data, backgroundColor: color(i + 1)};
    });
    makeChart(parent, 'failures', 'Failed requests by kind', 'bar', datasets,
              {scales: {x: {stacked: true}, y: axis('requests', {stacked: true, beginAtZero: true})}}, labels);
  }

  function table(parent, head, rows, textCols) {
    var t = el('table', parent);
    var tr = el('tr', el('thead', t));
    head.forEach(function (h, i) { el('th', tr, h, textCols && textCols.indexOf(i) >= 0 ? 'text' : null); });
    var body = el('tbody', t);
    rows.forEach(function (row) {
      var r = el('tr', body);
      row.forEach(function (c, i) {
        var td = el('td', r, typeof c === 'object' && c !== null && 'text' in c ? c.text : fmt(c),
                    textCols && textCols.indexOf(i) >= 0 ? 'text' : null);
        if (c && c.cls) td.className += ' ' + c.cls;
      });
    });
    return t;
  }

  function levelTable(root, runs) {
    var rows = [];
    runs.forEach(function (run) {
      run.load.levels.forEach(function (l) {
        var s = l.stats;
        rows.push([{text: runName(run)}, {text: levelName(l)}, l.completed, l.failed, l.request_throughput,
                   l.output_throughput, s.p50_ttft_ms, s.p99_ttft_ms, s.p50_tpot_ms, s.p99_tpot_ms,
                   s.p50_itl_ms, s.p50_e2el_ms, s.p99_e2el_ms]);
      });
    });
    el('h3', root, 'Levels');
    table(root, ['result', 'level', 'completed', 'failed', 'req/s', 'out tok/s', 'TTFT p50', 'TTFT p99',
                 'TPOT p50', 'TPOT p99', 'ITL p50', 'E2EL p50', 'E2EL p99'], rows, [0, 1]);
  }

  /* ---------- bench ---------- */

  function benchSection(root, runs) {
    el('h2', root, 'Bench');
    var grid = el('div', root, null, 'grid');
    ['pp', 'tg'].forEach(function (kind) {
      benchBars(grid, runs, kind);
      benchDepth(grid, runs, kind);
    });
    var rows = [];
    runs.forEach(function (run) {
      run.bench.rows.forEach(function (row) {
        var s = row.stats;
        rows.push([{text: runName(run)}, {text: row.label}, s.mean_t_s_total, s.std_t_s_total,
                   s.mean_t_s_req, s.mean_server_t_s, s.mean_est_ppt_ms, s.mean_e2e_ttft_ms, row.errors]);
      });
    });
    el('h3', root, 'Rows');
    table(root, ['result', 'test', 't/s total', '± std', 't/s per request', 'server t/s', 'est ppt ms',
                 'e2e TTFT ms', 'errors'], rows, [0, 1]);
  }

  /* Client-measured and server-reported rates side by side, ± stddev. */
  function benchBars(parent, runs, kind) {
    var labels = [], datasets = [];
    runs.forEach(function (run) {
      run.bench.rows.forEach(function (row) {
        if (row.kind === kind && labels.indexOf(row.label) < 0) labels.push(row.label);
      });
    });
    if (!labels.length) return;
    runs.forEach(function (run, r) {
      [['t_s_total', 'client t/s'], ['server_t_s', 'server t/s']].forEach(function (what, w) {
        var data = [], errs = [], any = false;
        labels.forEach(function (label) {
          var row = run.bench.rows.filter(function (x) { return x.kind === kind && x.label === label; })[0];
          var v = row ? num(row.stats['mean_' + what[0]]) : null;
          data.push(v);
          errs.push(row ? num(row.stats['std_' + what[0]]) : null);
          if (v !== null) any = true;
        });
        if (!any) return;
        datasets.push({label: (runs.length > 1 ? runName(run) + ' · ' : '') + what[1], data: data, errors: errs,
                       backgroundColor: color(r * 2 + w, w ? 0.45 : 0.85), borderColor: color(r * 2 + w), borderWidth: 1});
      });
    });
    makeChart(parent, 'bench-' + kind, kind + ' rates (mean ± stddev): client-measured and server-reported',
              'bar', datasets, {scales: {y: axis('tokens/s', {beginAtZero: true})}}, labels);
  }

  /* With depths, t/s against depth: one line per shape (pp/tg, concurrency). */
  function benchDepth(parent, runs, kind) {
    var depths = {};
    runs.forEach(function (run) {
      run.bench.rows.forEach(function (row) { if (row.kind === kind) depths[row.depth || 0] = true; });
    });
    if (Object.keys(depths).length < 2) return;
    var datasets = [], i = 0;
    runs.forEach(function (run, r) {
      var shapes = {};
      run.bench.rows.forEach(function (row) {
        if (row.kind !== kind) return;
        var key = kind + (kind === 'pp' ? row.pp : row.tg) + (row.concurrency > 1 ? ' c' + row.concurrency : '');
        (shapes[key] = shapes[key] || []).push({x: row.depth || 0, y: num(row.stats.mean_t_s_total),
                                                 e: num(row.stats.std_t_s_total)});
      });
      Object.keys(shapes).forEach(function (key) {
        var pts = shapes[key].filter(function (p) { return p.y !== null; }).sort(function (a, b) { return a.x - b.x; });
        if (!pts.length) return;
        datasets.push({label: (runs.length > 1 ? runName(run) + ' · ' : '') + key, showLine: true,
                       data: pts.map(function (p) { return {x: p.x, y: p.y}; }),
                       errors: pts.map(function (p) { return p.e; }), borderColor: color(i), backgroundColor: color(i),
                       borderDash: DASHES[r % DASHES.length], pointRadius: 3});
        i++;
      });
    });
    if (!datasets.length) return;
    makeChart(parent, 'bench-depth-' + kind, kind + ' t/s against context depth (± stddev)', 'scatter', datasets,
              {scales: {x: axis('depth (tokens already in context)'), y: axis('tokens/s', {beginAtZero: true})}});
  }

  /* ---------- Lua runs ---------- */

  function runSection(root, runs) {
    el('h2', root, 'Lua workloads');
    var grid = el('div', root, null, 'grid');
    var labels = [];
    runs.forEach(function (run) {
      run.run.scenarios.forEach(function (s) { if (labels.indexOf(s.scenario) < 0) labels.push(s.scenario); });
    });
    function perScenario(run, f) {
      return labels.map(function (name) {
        var s = run.run.scenarios.filter(function (x) { return x.scenario === name; })[0];
        return s ? f(s) : null;
      });
    }
    var lat = [];
    runs.forEach(function (run, r) {
      /* Time to first sentence (ttfs) is aggregated per scenario as TTFT is,
       * where the library measures it: drawn when the result has it. */
      [['p50_e2el_ms', 'E2EL p50', 0.85], ['p99_e2el_ms', 'E2EL p99', 0.45], ['p50_ttft_ms', 'TTFT p50', 0.25],
       ['p50_ttfs_ms', 'time to first sentence p50', 0.6]].forEach(function (k) {
        var data = perScenario(run, function (s) { return num(s.stats[k[0]]); });
        if (data.some(function (v) { return v !== null; }))
          lat.push({label: (runs.length > 1 ? runName(run) + ' · ' : '') + k[1], data: data,
                    backgroundColor: color(r, k[2]), borderColor: color(r), borderWidth: 1});
      });
    });
    if (lat.length)
      makeChart(grid, 'run-latency', 'Latency per scenario (E2EL, TTFT, time to first sentence when measured)', 'bar', lat,
                {scales: {y: axis('ms', {beginAtZero: true})}}, labels);
    var valid = [];
    runs.forEach(function (run, r) {
      [['completed', 'requests OK', 2], ['failed', 'requests failed', 1], ['checks_failed', 'checks failed', 3],
       ['script_errors', 'script errors', 4]].forEach(function (k) {
        var data = perScenario(run, function (s) { return num(s[k[0]]) || 0; });
        valid.push({label: (runs.length > 1 ? runName(run) + ' · ' : '') + k[1], data: data,
                    backgroundColor: color(k[2], r ? 0.5 : 0.85), stack: 'run' + r});
      });
    });
    makeChart(grid, 'run-validity', 'Validity per scenario: requests, failed checks, script errors', 'bar', valid,
              {scales: {x: {stacked: true}, y: axis('count', {stacked: true, beginAtZero: true})}}, labels);
    metricsChart(grid, runs, labels, perScenario);
    cdfChart(grid, runs, 'e2el', 'scenarios');
    runs.forEach(function (run) {
      var rows = [];
      run.run.scenarios.forEach(function (s) {
        var checks = s.checks || {};
        Object.keys(checks).forEach(function (c) {
          rows.push([{text: s.scenario}, {text: c}, checks[c].passed,
                     {text: fmt(checks[c].failed, 0), cls: checks[c].failed ? 'worse' : 'better'}]);
        });
      });
      if (rows.length) {
        el('h3', root, runName(run) + ': checks');
        table(root, ['scenario', 'check', 'passed', 'failed'], rows, [0, 1]);
      }
      var th = (run.run.thresholds || []).map(function (t) {
        return [{text: t.name}, {text: t.condition}, t.value, {text: t.ok ? 'ok' : 'FAILED', cls: t.ok ? 'better' : 'worse'}];
      });
      if (th.length) {
        el('h3', root, runName(run) + ': thresholds');
        table(root, ['threshold', 'condition', 'value', ''], th, [0, 1]);
      }
    });
  }

  /* The script's own metrics (s:metric), time to first sentence among them. */
  function metricsChart(parent, runs, labels, perScenario) {
    var names = {};
    runs.forEach(function (run) {
      run.run.scenarios.forEach(function (s) { for (var k in (s.metrics || {})) names[k] = true; });
    });
    var keys = Object.keys(names).sort(function (a, b) {
      return /sentence|ttfs/i.test(b) - /sentence|ttfs/i.test(a);
    });
    if (!keys.length) return;
    var datasets = [], i = 0;
    runs.forEach(function (run, r) {
      keys.forEach(function (k) {
        var data = perScenario(run, function (s) { return s.metrics && s.metrics[k] ? num(s.metrics[k].p50) : null; });
        if (!data.some(function (v) { return v !== null; })) return;
        datasets.push({label: (runs.length > 1 ? runName(run) + ' · ' : '') + k + ' p50', data: data,
                       backgroundColor: color(i++, 0.8)});
      });
    });
    if (datasets.length)
      makeChart(parent, 'run-metrics', 'Script metrics per scenario (p50)' +
                (keys.some(function (k) { return /sentence|ttfs/i.test(k); }) ? ', time to first sentence first' : ''),
                'bar', datasets, {scales: {y: axis('value', {beginAtZero: true})}}, labels);
  }

  /* ---------- GPU samples ---------- */

  var GIB = 1024 * 1024 * 1024;

  function samplingSection(root, runs) {
    var with_ = runs.filter(function (r) { return r.sampling; });
    if (!with_.length) return;
    el('h2', root, 'GPU samples');
    var grid = el('div', root, null, 'grid');
    with_.forEach(function (run, r) {
      var s = run.sampling;
      if (!s.timeline || !s.timeline.length) {
        el('p', root, runName(run) + ': no GPU samples (source ' + (s.source || 'none') + (s.why ? ': ' + s.why : '') + ').', 'note');
        return;
      }
      var names = {};
      (s.gpus || []).forEach(function (g) { names[g.index] = 'GPU ' + g.index + (g.name ? ' ' + g.name : ''); });
      var byGpu = {};
      s.timeline.forEach(function (t) { (byGpu[t.gpu] = byGpu[t.gpu] || []).push(t); });
      var marks = (s.levels || []).map(function (l) { return {x: l.t_start_s, until: l.t_end_s, text: l.label}; });
      function series(field, scale) {
        return Object.keys(byGpu).map(function (g, i) {
          return {label: names[g] || 'GPU ' + g, borderColor: color(i), backgroundColor: color(i), pointRadius: 0,
                  data: byGpu[g].filter(function (t) { return num(t[field]) !== null; })
                                .map(function (t) { return {x: t.t_s, y: t[field] / scale}; })};
        }).filter(function (d) { return d.data.length; });
      }
      var idle = (s.idle || []).map(function (i) { return 'GPU ' + i.gpu + ' idle ' + fmt(i.mem_used_bytes / GIB) + ' GiB'; }).join(', ');
      var mem = series('mem_used_bytes', GIB);
      if (mem.length)
        makeChart(grid, 'gpu-mem-' + r, runName(run) + ': GPU memory over the run (' + s.source + ', every ' +
                  s.interval_ms + ' ms' + (idle ? '; ' + idle : '') + ')', 'line', mem,
                  {scales: {x: axis('seconds', {type: 'linear'}), y: axis('GiB used', {beginAtZero: true})},
                   plugins: {benchyMarks: marks}});
      var util = series('util_pct', 1);
      if (util.length)
        makeChart(grid, 'gpu-util-' + r, runName(run) + ': GPU utilisation', 'line', util,
                  {scales: {x: axis('seconds', {type: 'linear'}), y: axis('%', {min: 0, max: 100})},
                   plugins: {benchyMarks: marks}});
      perLevelMemory(grid, run, r);
    });
  }

  /* Peak memory per level, bench row or scenario, from their "gpu" figures. */
  function perLevelMemory(parent, run, r) {
    var items = run.load ? run.load.levels : run.bench ? run.bench.rows : run.run ? run.run.scenarios : [];
    var labels = [], gpus = {};
    items.forEach(function (it) {
      if (!it.gpu) return;
      labels.push(it.label || it.scenario || levelName(it));
      it.gpu.forEach(function (g) { gpus[g.gpu] = true; });
    });
    if (!labels.length) return;
    var datasets = Object.keys(gpus).map(function (g, i) {
      return {label: 'GPU ' + g + ' peak', backgroundColor: color(i, 0.8),
              data: items.filter(function (it) { return it.gpu; }).map(function (it) {
                var x = it.gpu.filter(function (q) { return String(q.gpu) === g; })[0];
                return x && x.mem_used_bytes ? num(x.mem_used_bytes.peak) / GIB : null;
              })};
    });
    makeChart(parent, 'gpu-peak-' + r, runName(run) + ': peak GPU memory per level', 'bar', datasets,
              {scales: {y: axis('GiB', {beginAtZero: true})}}, labels);
  }

  /* ---------- comparison, metadata ---------- */

  function comparisonSection(root, c, runs) {
    el('h2', root, 'Comparison: ' + runName(runs[0]) + ' (base) → ' + runName(runs[1]) + ' (new)');
    el('p', root, 'Differences with their ' + fmt((1 - c.alpha) * 100, 0) + '% confidence intervals; ' +
       'a verdict is significant when p < ' + c.alpha + ' (docs/compare.md).', 'note');
    function toRow(x) {
      var cls = /worse|slower|regress/i.test(x.verdict) ? 'worse' : /better|faster/i.test(x.verdict) ? 'better' : '';
      var ci = x.ci_pct && x.ci_pct.length === 2 ? '[' + fmt(x.ci_pct[0]) + ', ' + fmt(x.ci_pct[1]) + ']' : '—';
      return [{text: x.row}, {text: x.metric}, x.base, x.new,
              {text: x.diff_pct === null ? '—' : (x.diff_pct > 0 ? '+' : '') + fmt(x.diff_pct) + '%', cls: cls},
              {text: ci}, x.p, {text: x.verdict + (x.regression ? ' (REGRESSION)' : ''), cls: cls}, {text: x.note || ''}];
    }
    /* Tested rows first; those with nothing to test on (one figure per
     * level, too few requests for a bootstrap) folded below, with why. */
    var head = ['row', 'metric', 'base', 'new', 'diff', 'CI (%)', 'p', 'verdict', 'note'];
    var all = c.rows || [];
    var tested = all.filter(function (x) { return x.test !== 'none' && x.verdict !== 'not tested'; });
    var untested = all.filter(function (x) { return tested.indexOf(x) < 0; });
    table(root, head, tested.map(toRow), [0, 1, 7, 8]);
    if (untested.length) {
      var d = el('details', root);
      el('summary', d, untested.length + ' rows compared but not tested (the note says why)');
      table(d, head, untested.map(toRow), [0, 1, 7, 8]);
    }
    (c.notes || []).forEach(function (n) { el('p', root, n, 'note'); });
    (c.regressions || []).forEach(function (n) { el('p', root, 'Regression: ' + n, 'invalid-note'); });
  }

  function flatten(obj, prefix, out) {
    Object.keys(obj || {}).forEach(function (k) {
      var v = obj[k], key = prefix ? prefix + '.' + k : k;
      if (v && typeof v === 'object' && !Array.isArray(v) && prefix.split('.').length < 2) flatten(v, key, out);
      else {
        var text = typeof v === 'string' ? v : JSON.stringify(v);
        out.push([{text: key}, {text: text.length > 400 ? text.slice(0, 400) + '…' : text}]);
      }
    });
    return out;
  }

  function metadataSection(root, runs) {
    el('h2', root, 'Metadata');
    runs.forEach(function (run) {
      var d = el('details', root);
      el('summary', d, runName(run) + ' — ' + run.kind + ', status ' + run.status);
      table(d, ['key', 'value'], flatten(run.metadata, '', []), [0, 1]);
    });
  }

  function header(root, data) {
    var runs = data.runs;
    var title = data.title || 'benchy report: ' + runs.map(function (r) { return r.label; }).join(', ');
    document.title = title;
    el('h1', root, title);
    var ul = el('ul', root, null, 'runs');
    runs.forEach(function (run) {
      var li = el('li', ul);
      var m = run.metadata || {};
      li.appendChild(document.createTextNode(run.label + ' — ' + run.kind + ', model ' + (m.model || '?') +
        (m.started_at ? ', ' + m.started_at : '')));
      var ok = run.status === 'OK' && !run.invalid;
      el('span', li, run.invalid ? 'INVALID' : run.status, 'badge' + (ok ? '' : ' bad'));
      if (run.invalid)
        el('div', li, 'Marked invalid: ' + (typeof run.invalid_reason === 'string' ? run.invalid_reason : JSON.stringify(run.invalid_reason)), 'invalid-note');
    });
    el('p', root, 'Written by benchy ' + data.benchy_version + '. Long series are downsampled; ' +
       'latency distributions come from each level\'s stored histograms.', 'note');
  }

  function draw() {
    var data = JSON.parse(document.getElementById('benchy-data').textContent);
    var seen = {};
    data.runs.forEach(function (r) {
      if (seen[shortLabel(r.label)]) shortNames = false;
      seen[shortLabel(r.label)] = true;
    });
    var root = document.getElementById('report');
    header(root, data);
    if (data.comparison) comparisonSection(root, data.comparison, data.runs);
    var byKind = function (k) { return data.runs.filter(function (r) { return r.kind === k && r[k]; }); };
    if (byKind('load').length) loadSection(root, byKind('load'));
    if (byKind('bench').length) benchSection(root, byKind('bench'));
    if (byKind('run').length) runSection(root, byKind('run'));
    samplingSection(root, data.runs);
    metadataSection(root, data.runs);
    if (notes.length) {
      el('h3', root, 'Not drawn');
      var ul = el('ul', root);
      notes.forEach(function (n) { el('li', ul, n, 'note'); });
    }
    drawnMs = performance.now();
  }

  /* Pixels inside the plot area in a saturated colour: the series (axes,
   * grid and text are grey), so a chart that drew nothing counts 0. */
  function painted(chart) {
    var a = chart.chartArea, ratio = chart.currentDevicePixelRatio || 1;
    var w = Math.floor((a.right - a.left) * ratio), h = Math.floor((a.bottom - a.top) * ratio);
    if (w <= 0 || h <= 0) return 0;
    var px = chart.ctx.getImageData(Math.floor(a.left * ratio), Math.floor(a.top * ratio), w, h).data;
    var n = 0;
    for (var i = 0; i < px.length; i += 4) {
      if (px[i + 3] < 60) continue;
      var hi = Math.max(px[i], px[i + 1], px[i + 2]), lo = Math.min(px[i], px[i + 1], px[i + 2]);
      if (hi - lo > 50) n++;
    }
    return n;
  }

  function selfcheck() {
    var out = {drawn_ms: drawnMs, errors: errors, notes: notes, charts: []};
    charts.forEach(function (c) {
      var series = c.chart.data.datasets.filter(function (d) { return !d.isMarker; });
      var info = {id: c.id, title: c.title, series: series.length, points: 0, empty_series: 0, painted: 0};
      series.forEach(function (d) {
        var n = d.data.filter(function (v) { return v !== null && (typeof v !== 'object' || num(v.y) !== null); }).length;
        info.points += n;
        if (!n) info.empty_series++;
      });
      try { info.painted = painted(c.chart); } catch (e) { errors.push('self-check: ' + e); }
      out.charts.push(info);
    });
    var pre = document.getElementById('benchy-selfcheck');
    pre.textContent = JSON.stringify(out);
    document.body.setAttribute('data-benchy-drawn', drawnMs === null ? 'failed' : 'yes');
  }

  document.addEventListener('DOMContentLoaded', function () {
    try {
      if (typeof Chart === 'undefined') throw new Error('Chart.js did not load');
      draw();
    } catch (e) {
      errors.push('report: ' + (e && e.stack ? e.stack : e));
      var p = el('p', document.getElementById('report'), 'The report could not be drawn: ' + e, 'invalid-note');
      p.id = 'benchy-draw-error';
    }
    selfcheck();
  });
})();
