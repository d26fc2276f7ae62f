// The status page: lists the service's visualizations from GET /v2/visualizations. It holds no data itself,
// so it is served without the key; the user gives the key once (or the URL's #key= fragment, which browsers
// never send to the server), and it stays in this tab's sessionStorage. Every name is set as text, never
// as HTML, so a hostile file or folder name shows as the characters it is.
'use strict';
(function () {
  const storageName = 'gridtsne-key';
  const refreshMilliseconds = 2000;
  const table = document.getElementById('jobs');
  const body = table.querySelector('tbody');
  const summary = document.getElementById('summary');
  const form = document.getElementById('key-form');
  let timer = null;

  function takeKeyFromFragment() {
    const match = /^#key=([A-Za-z0-9_-]+)$/.exec(location.hash);
    if (match) {
      sessionStorage.setItem(storageName, match[1]);
      history.replaceState(null, '', location.pathname);
    }
  }

  function key() { return sessionStorage.getItem(storageName); }

  function authorization() { return { Authorization: 'Key ' + key() }; }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function link(url, text) {
    const anchor = element('a', text);
    // Only the service's own URLs: a job's URLs always are, but nothing else may become a link.
    const target = new URL(url, location.href);
    anchor.href = target.origin === location.origin ? target.pathname : '#';
    return anchor;
  }

  function row(job) {
    const tr = element('tr');
    tr.dataset.id = job.id;
    const name = element('td');
    if (job.status.code === 'DONE' && job.data) {
      const viewer = link(job.data.viewer.url, job.name);
      viewer.className = 'viewer-link';
      name.appendChild(viewer);
    } else {
      name.appendChild(element('span', job.name, 'name'));
    }
    name.appendChild(element('span', job.id, 'detail'));
    tr.appendChild(name);

    const status = element('td', job.status.code, 'status-' + job.status.code);
    status.appendChild(element('span', job.status.description, 'detail'));
    tr.appendChild(status);

    const photos = job.error_count > 0 ? job.input.photos + ' (' + job.error_count + ' errors)' : job.input.photos;
    tr.appendChild(element('td', photos));
    tr.appendChild(element('td', new Date(job.created_at).toLocaleString()));

    const files = element('td');
    if (job.data) {
      files.appendChild(link(job.data.image.url, 'image'));
      files.appendChild(link(job.data.layout.url, 'layout'));
      files.appendChild(link(job.data.viewer.url, 'viewer'));
    }
    tr.appendChild(files);

    const actions = element('td');
    const button = element('button', job.status.code === 'PENDING' || job.status.code === 'RUNNING' ? 'Cancel' : 'Delete');
    button.type = 'button';
    button.addEventListener('click', function () { remove(job); });
    actions.appendChild(button);
    tr.appendChild(actions);
    return tr;
  }

  async function remove(job) {
    const verb = job.status.code === 'PENDING' || job.status.code === 'RUNNING' ? 'Cancel' : 'Delete';
    if (!confirm(verb + ' "' + job.name + '"?')) { return; }
    await fetch('/v2/visualizations/' + encodeURIComponent(job.id), { method: 'DELETE', headers: authorization() });
    refresh();
  }

  async function refresh() {
    clearTimeout(timer);
    let response;
    try {
      response = await fetch('/v2/visualizations', { headers: authorization(), cache: 'no-store' });
    } catch (error) {
      summary.textContent = 'The service does not answer: ' + error.message;
      timer = setTimeout(refresh, refreshMilliseconds);
      return;
    }
    if (response.status === 401) {
      sessionStorage.removeItem(storageName);
      askForKey('That key was refused.');
      return;
    }
    const list = await response.json();
    const jobs = list.outputs;
    const counts = {};
    jobs.forEach(function (job) { counts[job.status.code] = (counts[job.status.code] || 0) + 1; });
    summary.textContent = jobs.length === 0 ? 'No visualizations yet.'
      : jobs.length + ' visualizations: ' + Object.keys(counts).map(function (code) { return counts[code] + ' ' + code; }).join(', ') + '.';
    body.replaceChildren.apply(body, jobs.map(row));
    table.hidden = jobs.length === 0;
    document.body.dataset.loaded = 'true';
    timer = setTimeout(refresh, refreshMilliseconds);
  }

  function askForKey(problem) {
    form.hidden = false;
    table.hidden = true;
    document.getElementById('key-error').textContent = problem || '';
    document.getElementById('key').focus();
  }

  async function start() {
    // A session cookie lets the browser open viewers and images, which it fetches without this header.
    const session = await fetch('/v2/session', { method: 'POST', headers: authorization() });
    if (session.status === 401) {
      sessionStorage.removeItem(storageName);
      askForKey('That key was refused.');
      return;
    }
    form.hidden = true;
    refresh();
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    sessionStorage.setItem(storageName, document.getElementById('key').value.trim());
    start();
  });

  takeKeyFromFragment();
  if (key()) { start(); } else { askForKey(); }
})();
