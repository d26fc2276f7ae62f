/*
  GridTsne photo grid viewer. Plain JavaScript, no dependencies, no network.

  The grid is drawn on one canvas from tile atlases (JPEG mosaics of blocks of cells), at the coarsest level
  that still has at least one atlas pixel per screen pixel, so 10,000 photos cost a handful of drawImage
  calls per frame rather than 10,000 <img> elements. Atlases load lazily for the visible region only.

  Every file name and label is data: it reaches the page only through textContent, never as markup.
*/
(function () {
  'use strict';

  var layout = window.GRIDTSNE_LAYOUT;
  var message = document.getElementById('message');
  if (!layout || layout.format !== 'gridtsne-viewer' || layout.version !== 1) {
    message.textContent = 'The layout file (layout.js) is missing or was written by an incompatible version.';
    return;
  }

  var ZOOM_STEP = 1.25;
  var MAX_CONCURRENT_LOADS = 6;
  var MAX_FINE_ATLASES = 96;      // loaded atlases above the coarsest level kept before the least recently drawn go
  var CLICK_SLOP = 5;             // CSS px a press may move and still count as a click
  var DOUBLE_CLICK_MS = 280;      // a click opens the photo only once no second click followed
  var PAGE_COLOUR = '#1b1c1e';
  var HIGHLIGHT = '#ffc83d';

  var scriptUrl = document.currentScript ? document.currentScript.src : document.baseURI;
  var canvas = document.getElementById('grid');
  var stage = document.getElementById('stage');
  var ctx = canvas.getContext('2d', { alpha: false });
  var tooltip = document.getElementById('tooltip');
  var tooltipName = document.getElementById('tooltip-name');
  var tooltipLabel = document.getElementById('tooltip-label');
  var tooltipDetail = document.getElementById('tooltip-detail');
  var search = document.getElementById('search');
  var matchesText = document.getElementById('matches');
  var help = document.getElementById('help');
  var helpButton = document.getElementById('help-button');

  var rows = layout.rows;
  var columns = layout.columns;
  var tileSize = layout.tileSize;
  var padding = layout.padding;
  var pitch = tileSize + padding;
  var gridWidth = columns * pitch - padding;
  var gridHeight = rows * pitch - padding;
  var cellCount = layout.cells.count;
  var cellRow = Int32Array.from(layout.cells.row);
  var cellColumn = Int32Array.from(layout.cells.column);
  var cellName = layout.cells.name;
  var cellLabel = layout.cells.label;
  var cellHref = layout.cells.href;
  var cellState = Uint8Array.from(layout.cells.state);
  var LINKED = 0, EMBEDDED = 1, UNREADABLE = 2;

  // Levels, coarsest first; each atlas covers a block of cells. The coarsest level starts loading at once,
  // so its images decode while the rest of the page is set up.
  var levels = layout.levels.map(function (spec, levelIndex) {
    var blockColumns = Math.ceil(columns / spec.cellsPerAtlas);
    var level = { size: spec.size, cellsPerAtlas: spec.cellsPerAtlas, blockColumns: blockColumns, atlases: [], byBlock: [] };
    spec.atlases.forEach(function (atlasSpec) {
      var atlas = {
        level: levelIndex, file: atlasSpec.file, row: atlasSpec.row, column: atlasSpec.column,
        rows: atlasSpec.rows, columns: atlasSpec.columns, img: null, state: 'idle', lastDrawn: 0
      };
      level.atlases.push(atlas);
      level.byBlock[Math.floor(atlas.row / spec.cellsPerAtlas) * blockColumns + Math.floor(atlas.column / spec.cellsPerAtlas)] = atlas;
    });
    return level;
  });
  var loadQueue = [];
  var activeLoads = 0;
  want(levels[0].atlases);

  // Cell index per grid position (-1 for an empty cell), and a lower-case search text per cell.
  var cellAt = new Int32Array(rows * columns).fill(-1);
  var searchText = new Array(cellCount);
  var readable = 0;
  var linked = 0;
  var embedded = 0;
  for (var index = 0; index < cellCount; index++) {
    cellAt[cellRow[index] * columns + cellColumn[index]] = index;
    searchText[index] = (cellName[index] + '\n' + (cellLabel[index] === null ? '' : cellLabel[index])).toLocaleLowerCase();
    if (cellState[index] !== UNREADABLE) { readable++; }
    if (cellState[index] === LINKED) { linked++; } else if (cellState[index] === EMBEDDED) { embedded++; }
  }

  // View transform: screen (CSS px, relative to the canvas) = world (full-size tile px) * scale + offset.
  var scale = 1;
  var offsetX = 0;
  var offsetY = 0;
  var viewWidth = 1;
  var viewHeight = 1;
  var deviceRatio = 1;
  var fitted = false;

  var query = '';
  var matches = [];
  var isMatch = new Uint8Array(cellCount);
  var nextMatch = 0;
  var hovered = -1;
  var lastPointer = null;
  var frame = 0;
  var renderQueued = false;
  var ready = false;
  var openMs = null;

  // ---- view transform ----------------------------------------------------------------------------------

  function fitScale() {
    var margin = 12;
    return Math.max(1e-4, Math.min((viewWidth - 2 * margin) / gridWidth, (viewHeight - 2 * margin) / gridHeight));
  }

  function minScale() { return fitScale() / 4; }

  function maxScale() { return Math.max(8, fitScale()); }

  function fit() {
    scale = fitScale();
    offsetX = (viewWidth - gridWidth * scale) / 2;
    offsetY = (viewHeight - gridHeight * scale) / 2;
    requestRender();
  }

  // Keeps part of the grid on screen whatever the pan.
  function clampOffset() {
    var keep = Math.min(60, viewWidth / 4, viewHeight / 4);
    offsetX = Math.min(viewWidth - keep, Math.max(keep - gridWidth * scale, offsetX));
    offsetY = Math.min(viewHeight - keep, Math.max(keep - gridHeight * scale, offsetY));
  }

  function zoomAt(factor, x, y) {
    var target = Math.min(maxScale(), Math.max(minScale(), scale * factor));
    var applied = target / scale;
    offsetX = x - (x - offsetX) * applied;
    offsetY = y - (y - offsetY) * applied;
    scale = target;
    clampOffset();
    requestRender();
  }

  function panBy(dx, dy) {
    offsetX += dx;
    offsetY += dy;
    clampOffset();
    requestRender();
  }

  function zoomCenter() {
    return lastPointer || { x: viewWidth / 2, y: viewHeight / 2 };
  }

  // Cell index under a canvas point, or -1.
  function cellAtPoint(x, y) {
    var wx = (x - offsetX) / scale;
    var wy = (y - offsetY) / scale;
    if (wx < 0 || wy < 0) { return -1; }
    var column = Math.floor(wx / pitch);
    var row = Math.floor(wy / pitch);
    if (column >= columns || row >= rows) { return -1; }
    if (wx - column * pitch >= tileSize || wy - row * pitch >= tileSize) { return -1; }
    return cellAt[row * columns + column];
  }

  // ---- atlas loading -----------------------------------------------------------------------------------

  function assetUrl(file) { return new URL(file, scriptUrl).href; }

  function pumpLoads() {
    while (activeLoads < MAX_CONCURRENT_LOADS && loadQueue.length > 0) {
      var atlas = loadQueue.shift();
      if (atlas.state === 'queued') { load(atlas); }
    }
  }

  function load(atlas) {
    activeLoads++;
    atlas.state = 'loading';
    var img = new Image();
    img.decoding = 'async';
    img.src = assetUrl(atlas.file);
    img.decode().then(function () {
      atlas.img = img;
      atlas.state = 'loaded';
    }, function () {
      atlas.state = 'failed';
    }).then(function () {
      activeLoads--;
      evictFineAtlases();
      pumpLoads();
      requestRender();
    });
  }

  // Queues the wanted atlases (nearest the view centre first); queued ones no longer wanted go back to idle.
  function want(wanted) {
    loadQueue.forEach(function (atlas) { if (atlas.state === 'queued') { atlas.state = 'idle'; } });
    loadQueue = wanted.filter(function (atlas) { return atlas.state === 'idle' || atlas.state === 'queued'; });
    loadQueue.forEach(function (atlas) { atlas.state = 'queued'; });
    pumpLoads();
  }

  function evictFineAtlases() {
    var fine = [];
    levels.forEach(function (level, index) {
      if (index === 0) { return; }
      level.atlases.forEach(function (atlas) { if (atlas.state === 'loaded') { fine.push(atlas); } });
    });
    if (fine.length <= MAX_FINE_ATLASES) { return; }
    fine.sort(function (a, b) { return a.lastDrawn - b.lastDrawn; });
    for (var i = 0; i < fine.length - MAX_FINE_ATLASES; i++) {
      if (fine[i].lastDrawn === frame) { break; }
      fine[i].img = null;
      fine[i].state = 'idle';
    }
  }

  // ---- drawing -----------------------------------------------------------------------------------------

  function requestRender() {
    if (!renderQueued) {
      renderQueued = true;
      window.requestAnimationFrame(render);
    }
  }

  // The level to draw: the coarsest whose tiles have at least as many pixels as the tiles on screen.
  function chosenLevel() {
    var needed = tileSize * scale * deviceRatio;
    for (var i = 0; i < levels.length; i++) {
      if (levels[i].size >= needed) { return i; }
    }
    return levels.length - 1;
  }

  // Visible range of cells, inclusive, clamped to the grid; null when the grid is off screen.
  function visibleCells(marginCells) {
    var c0 = Math.floor((-offsetX / scale) / pitch) - marginCells;
    var r0 = Math.floor((-offsetY / scale) / pitch) - marginCells;
    var c1 = Math.floor(((viewWidth - offsetX) / scale) / pitch) + marginCells;
    var r1 = Math.floor(((viewHeight - offsetY) / scale) / pitch) + marginCells;
    c0 = Math.max(0, c0); r0 = Math.max(0, r0);
    c1 = Math.min(columns - 1, c1); r1 = Math.min(rows - 1, r1);
    return c0 > c1 || r0 > r1 ? null : { c0: c0, r0: r0, c1: c1, r1: r1 };
  }

  function atlasesIn(level, range) {
    var found = [];
    if (range === null) { return found; }
    var per = level.cellsPerAtlas;
    for (var br = Math.floor(range.r0 / per); br <= Math.floor(range.r1 / per); br++) {
      for (var bc = Math.floor(range.c0 / per); bc <= Math.floor(range.c1 / per); bc++) {
        var atlas = level.byBlock[br * level.blockColumns + bc];
        if (atlas) { found.push(atlas); }
      }
    }
    return found;
  }

  // Device-pixel edge of a world coordinate; adjacent rectangles share edges, so no seams appear.
  function deviceX(worldX) { return Math.round((worldX * scale + offsetX) * deviceRatio); }
  function deviceY(worldY) { return Math.round((worldY * scale + offsetY) * deviceRatio); }

  // Draws the part of an atlas inside the visible range. With no gap of a device pixel or more between tiles,
  // one drawImage covers the whole part (tiles shift by less than a pixel); otherwise each tile is drawn.
  function drawAtlas(atlas, range) {
    var size = levels[atlas.level].size;
    var r0 = Math.max(range.r0, atlas.row), r1 = Math.min(range.r1, atlas.row + atlas.rows - 1);
    var c0 = Math.max(range.c0, atlas.column), c1 = Math.min(range.c1, atlas.column + atlas.columns - 1);
    if (r0 > r1 || c0 > c1) { return; }
    atlas.lastDrawn = frame;
    if (padding * scale * deviceRatio < 1) {
      var x0 = deviceX(c0 * pitch), x1 = deviceX(c1 * pitch + tileSize);
      var y0 = deviceY(r0 * pitch), y1 = deviceY(r1 * pitch + tileSize);
      ctx.drawImage(atlas.img, (c0 - atlas.column) * size, (r0 - atlas.row) * size, (c1 - c0 + 1) * size, (r1 - r0 + 1) * size,
        x0, y0, x1 - x0, y1 - y0);
      return;
    }
    for (var r = r0; r <= r1; r++) {
      for (var c = c0; c <= c1; c++) {
        drawTileFrom(atlas, r, c);
      }
    }
  }

  function drawTileFrom(atlas, row, column) {
    var size = levels[atlas.level].size;
    var x0 = deviceX(column * pitch), x1 = deviceX(column * pitch + tileSize);
    var y0 = deviceY(row * pitch), y1 = deviceY(row * pitch + tileSize);
    ctx.drawImage(atlas.img, (column - atlas.column) * size, (row - atlas.row) * size, size, size, x0, y0, x1 - x0, y1 - y0);
  }

  // Draws one cell from the finest loaded level up to the chosen one.
  function drawCell(index, chosen) {
    var row = cellRow[index], column = cellColumn[index];
    for (var i = chosen; i >= 0; i--) {
      var level = levels[i];
      var atlas = level.byBlock[Math.floor(row / level.cellsPerAtlas) * level.blockColumns + Math.floor(column / level.cellsPerAtlas)];
      if (atlas && atlas.state === 'loaded') {
        atlas.lastDrawn = frame;
        drawTileFrom(atlas, row, column);
        return;
      }
    }
  }

  function outlineCell(index, colour, width) {
    var x0 = deviceX(cellColumn[index] * pitch), x1 = deviceX(cellColumn[index] * pitch + tileSize);
    var y0 = deviceY(cellRow[index] * pitch), y1 = deviceY(cellRow[index] * pitch + tileSize);
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.strokeRect(x0 + width / 2, y0 + width / 2, Math.max(1, x1 - x0 - width), Math.max(1, y1 - y0 - width));
  }

  function render() {
    renderQueued = false;
    frame++;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'medium';
    ctx.fillStyle = PAGE_COLOUR;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = layout.background;
    ctx.fillRect(deviceX(0), deviceY(0), deviceX(gridWidth) - deviceX(0), deviceY(gridHeight) - deviceY(0));

    var chosen = chosenLevel();
    var range = visibleCells(0);
    var wanted = atlasesIn(levels[chosen], visibleCells(Math.ceil(levels[chosen].cellsPerAtlas / 4)));
    levels[0].atlases.forEach(function (atlas) { if (wanted.indexOf(atlas) < 0) { wanted.push(atlas); } });
    want(wanted);

    if (range !== null) {
      for (var i = 0; i <= chosen; i++) {
        atlasesIn(levels[i], range).forEach(function (atlas) {
          if (atlas.state === 'loaded') { drawAtlas(atlas, range); }
        });
      }
      if (matches.length > 0) { drawHighlights(range, chosen); }
      if (hovered >= 0) { outlineCell(hovered, '#ffffff', Math.max(1, Math.round(2 * deviceRatio))); }
    }
    updateReady();
  }

  // Dims the grid, then redraws and outlines the matching tiles that are on screen.
  function drawHighlights(range, chosen) {
    ctx.fillStyle = 'rgba(0, 0, 0, 0.65)';
    ctx.fillRect(deviceX(0), deviceY(0), deviceX(gridWidth) - deviceX(0), deviceY(gridHeight) - deviceY(0));
    var small = tileSize * scale * deviceRatio < 8;
    for (var r = range.r0; r <= range.r1; r++) {
      for (var c = range.c0; c <= range.c1; c++) {
        var index = cellAt[r * columns + c];
        if (index < 0 || !isMatch[index]) { continue; }
        drawCell(index, chosen);
        if (small) {
          ctx.fillStyle = HIGHLIGHT;
          ctx.fillRect(deviceX(c * pitch), deviceY(r * pitch), Math.max(2, deviceX(c * pitch + tileSize) - deviceX(c * pitch)), Math.max(2, deviceY(r * pitch + tileSize) - deviceY(r * pitch)));
        } else {
          outlineCell(index, HIGHLIGHT, Math.max(1, Math.round(2 * deviceRatio)));
        }
      }
    }
  }

  function updateReady() {
    if (ready) { return; }
    var settled = levels[0].atlases.every(function (atlas) { return atlas.state === 'loaded' || atlas.state === 'failed'; });
    if (!settled) { return; }
    ready = true;
    openMs = Math.round(performance.now());
    var failed = levels[0].atlases.filter(function (atlas) { return atlas.state === 'failed'; }).length;
    if (failed > 0) {
      message.textContent = failed + ' tile image file(s) could not be loaded; the folder beside this page may be incomplete.';
    } else {
      message.hidden = true;
    }
  }

  // ---- hover, tooltip, click ---------------------------------------------------------------------------

  function setHovered(index, x, y) {
    if (index !== hovered) {
      hovered = index;
      requestRender();
      if (index < 0) {
        tooltip.hidden = true;
        canvas.classList.remove('over-photo');
      } else {
        tooltipName.textContent = cellName[index];
        tooltipLabel.textContent = cellLabel[index] === null ? '' : cellLabel[index];
        var where = 'row ' + (cellRow[index] + 1) + ', column ' + (cellColumn[index] + 1);
        tooltipDetail.textContent = cellState[index] === UNREADABLE ? where + ' \u00b7 could not be read'
          : where + ' \u00b7 click to open ' + (cellState[index] === EMBEDDED ? 'a copy' : 'the photo');
        tooltip.hidden = false;
        canvas.classList.toggle('over-photo', cellHref[index] !== null);
      }
    }
    if (index >= 0) { placeTooltip(x, y); }
  }

  function placeTooltip(x, y) {
    var gap = 14;
    var width = tooltip.offsetWidth, height = tooltip.offsetHeight;
    var left = x + gap + width > viewWidth ? x - gap - width : x + gap;
    var top = y + gap + height > viewHeight ? y - gap - height : y + gap;
    tooltip.style.left = Math.max(0, left) + 'px';
    tooltip.style.top = Math.max(0, top) + 'px';
  }

  var pendingOpen = null;

  function scheduleOpen(index) {
    cancelOpen();
    var href = cellHref[index];
    if (href === null) { return; }
    pendingOpen = window.setTimeout(function () {
      pendingOpen = null;
      var url = new URL(href, document.baseURI);
      // Only a file beside the page: the writer emits relative links, this refuses anything else.
      if (url.protocol !== window.location.protocol) { return; }
      window.open(url.href, '_blank', 'noopener,noreferrer');
    }, DOUBLE_CLICK_MS);
  }

  function cancelOpen() {
    if (pendingOpen !== null) {
      window.clearTimeout(pendingOpen);
      pendingOpen = null;
    }
  }

  // ---- pointer input: drag to pan, pinch to zoom, click to open ----------------------------------------

  var pointers = new Map();
  var press = null;   // the single-pointer press that may still become a click
  var pinch = null;

  function canvasPoint(event) {
    var rect = canvas.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  function pinchState() {
    var points = Array.from(pointers.values());
    var dx = points[1].x - points[0].x, dy = points[1].y - points[0].y;
    return { distance: Math.max(1, Math.hypot(dx, dy)), x: (points[0].x + points[1].x) / 2, y: (points[0].y + points[1].y) / 2 };
  }

  canvas.addEventListener('pointerdown', function (event) {
    if (event.pointerType === 'mouse' && event.button !== 0) { return; }
    canvas.setPointerCapture(event.pointerId);
    var point = canvasPoint(event);
    pointers.set(event.pointerId, point);
    if (pointers.size === 1) {
      press = { x: point.x, y: point.y, moved: false };
      canvas.classList.add('dragging');
    } else {
      press = null;
      pinch = pointers.size === 2 ? pinchState() : null;
    }
  });

  canvas.addEventListener('pointermove', function (event) {
    var point = canvasPoint(event);
    lastPointer = point;
    var previous = pointers.get(event.pointerId);
    if (!previous) {
      setHovered(cellAtPoint(point.x, point.y), point.x, point.y);
      return;
    }
    pointers.set(event.pointerId, point);
    if (pointers.size === 1) {
      if (press && Math.hypot(point.x - press.x, point.y - press.y) > CLICK_SLOP) { press.moved = true; }
      panBy(point.x - previous.x, point.y - previous.y);
      setHovered(-1);
    } else if (pointers.size === 2 && pinch) {
      var next = pinchState();
      panBy(next.x - pinch.x, next.y - pinch.y);
      zoomAt(next.distance / pinch.distance, next.x, next.y);
      pinch = next;
    }
  });

  function endPointer(event, canceled) {
    if (!pointers.has(event.pointerId)) { return; }
    pointers.delete(event.pointerId);
    if (pointers.size < 2) { pinch = null; }
    if (pointers.size === 0) {
      canvas.classList.remove('dragging');
      var point = canvasPoint(event);
      if (!canceled && press && !press.moved) {
        var index = cellAtPoint(point.x, point.y);
        if (index >= 0) { scheduleOpen(index); }
      }
      press = null;
      setHovered(cellAtPoint(point.x, point.y), point.x, point.y);
    }
  }

  canvas.addEventListener('pointerup', function (event) { endPointer(event, false); });
  canvas.addEventListener('pointercancel', function (event) { endPointer(event, true); });
  canvas.addEventListener('pointerleave', function () {
    if (pointers.size === 0) { setHovered(-1); lastPointer = null; }
  });

  canvas.addEventListener('dblclick', function (event) {
    event.preventDefault();
    cancelOpen();
    fit();
  });

  canvas.addEventListener('wheel', function (event) {
    event.preventDefault();
    var delta = event.deltaY;
    if (event.deltaMode === 1) { delta *= 16; } else if (event.deltaMode === 2) { delta *= viewHeight; }
    // A trackpad pinch arrives as a wheel event with ctrlKey and small deltas.
    var speed = event.ctrlKey ? 0.01 : 0.002;
    var point = canvasPoint(event);
    lastPointer = point;
    zoomAt(Math.exp(-Math.max(-500, Math.min(500, delta)) * speed), point.x, point.y);
    setHovered(cellAtPoint(point.x, point.y), point.x, point.y);
  }, { passive: false });

  // ---- keyboard, buttons, search -----------------------------------------------------------------------

  document.addEventListener('keydown', function (event) {
    if (event.target === search) {
      if (event.key === 'Escape') { search.value = ''; setQuery(''); search.blur(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var centre = zoomCenter();
    var step = Math.max(40, Math.min(viewWidth, viewHeight) / 5);
    switch (event.key) {
      case '+': case '=': zoomAt(ZOOM_STEP, centre.x, centre.y); break;
      case '-': case '_': zoomAt(1 / ZOOM_STEP, centre.x, centre.y); break;
      case '0': fit(); break;
      case 'ArrowLeft': panBy(step, 0); break;
      case 'ArrowRight': panBy(-step, 0); break;
      case 'ArrowUp': panBy(0, step); break;
      case 'ArrowDown': panBy(0, -step); break;
      case '/': search.focus(); break;
      case '?': toggleHelp(); break;
      case 'Escape': if (!help.hidden) { toggleHelp(); } break;
      default: return;
    }
    event.preventDefault();
  });

  document.getElementById('zoom-in').addEventListener('click', function () { zoomAt(ZOOM_STEP, viewWidth / 2, viewHeight / 2); });
  document.getElementById('zoom-out').addEventListener('click', function () { zoomAt(1 / ZOOM_STEP, viewWidth / 2, viewHeight / 2); });
  document.getElementById('fit').addEventListener('click', fit);
  helpButton.addEventListener('click', toggleHelp);

  function toggleHelp() {
    help.hidden = !help.hidden;
    helpButton.setAttribute('aria-expanded', String(!help.hidden));
  }

  function setQuery(text) {
    query = text.trim().toLocaleLowerCase();
    isMatch.fill(0);
    matches = [];
    nextMatch = 0;
    if (query !== '') {
      for (var i = 0; i < cellCount; i++) {
        if (searchText[i].indexOf(query) >= 0) { isMatch[i] = 1; matches.push(i); }
      }
    }
    matchesText.textContent = query === '' ? '' : matches.length.toLocaleString('en-US') + (matches.length === 1 ? ' match' : ' matches');
    requestRender();
  }

  search.addEventListener('input', function () { setQuery(search.value); });

  // Enter centres the next match, zoomed in enough to see it.
  search.addEventListener('keydown', function (event) {
    if (event.key !== 'Enter' || matches.length === 0) { return; }
    event.preventDefault();
    var index = matches[nextMatch % matches.length];
    nextMatch++;
    scale = Math.min(maxScale(), Math.max(scale, Math.min(viewWidth, viewHeight) / (8 * pitch)));
    offsetX = viewWidth / 2 - (cellColumn[index] * pitch + tileSize / 2) * scale;
    offsetY = viewHeight / 2 - (cellRow[index] * pitch + tileSize / 2) * scale;
    clampOffset();
    requestRender();
  });

  // ---- size and start-up ------------------------------------------------------------------------------

  function resize() {
    var rect = stage.getBoundingClientRect();
    var width = Math.max(1, rect.width), height = Math.max(1, rect.height);
    if (fitted) {
      // Keep the point at the centre of the view where it was.
      offsetX += (width - viewWidth) / 2;
      offsetY += (height - viewHeight) / 2;
    }
    viewWidth = width;
    viewHeight = height;
    deviceRatio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * deviceRatio);
    canvas.height = Math.round(height * deviceRatio);
    if (!fitted) {
      fitted = true;
      fit();
    } else {
      clampOffset();
      requestRender();
    }
  }

  document.title = layout.title;
  document.getElementById('title').textContent = layout.title;
  var summary = cellCount.toLocaleString('en-US') + ' photos \u00b7 ' + rows + ' \u00d7 ' + columns;
  if (readable < cellCount) { summary += ' \u00b7 ' + (cellCount - readable).toLocaleString('en-US') + ' unreadable'; }
  document.getElementById('summary').textContent = summary;
  document.getElementById('help-originals').textContent =
    'In this page, ' + linked.toLocaleString('en-US') + ' photo(s) link to their original file and ' +
    embedded.toLocaleString('en-US') + ' open a copy stored in the folder beside the page.';

  new ResizeObserver(resize).observe(stage);
  resize();

  function readableCellsIn(atlas) {
    var count = 0;
    for (var r = atlas.row; r < atlas.row + atlas.rows; r++) {
      for (var c = atlas.column; c < atlas.column + atlas.columns; c++) {
        var index = cellAt[r * columns + c];
        if (index >= 0 && cellState[index] !== UNREADABLE) { count++; }
      }
    }
    return count;
  }

  // Read-only state for scripts and tests: a fresh frozen snapshot on every read.
  function snapshot() {
    return Object.freeze({
      ready: ready,
      openMs: openMs,
      rows: rows,
      columns: columns,
      cells: cellCount,
      readable: readable,
      linked: linked,
      embedded: embedded,
      level: levels[chosenLevel()].size,
      levels: levels.map(function (level) {
        var loaded = level.atlases.filter(function (atlas) { return atlas.state === 'loaded'; });
        return Object.freeze({
          size: level.size,
          atlases: level.atlases.length,
          loaded: loaded.length,
          failed: level.atlases.filter(function (atlas) { return atlas.state === 'failed'; }).length,
          tilesLoaded: loaded.reduce(function (sum, atlas) { return sum + readableCellsIn(atlas); }, 0)
        });
      }),
      transform: Object.freeze({ scale: scale, x: offsetX, y: offsetY }),
      openPending: pendingOpen !== null,
      query: query,
      highlighted: matches.length,
      hovered: hovered < 0 ? null : Object.freeze({ row: cellRow[hovered], column: cellColumn[hovered], name: cellName[hovered] })
    });
  }

  window.gridViewer = Object.freeze({
    get status() { return snapshot(); },
    // Viewport rectangle (CSS px) of a cell, for scripts that want to point at a tile.
    cellRect: function (row, column) {
      var rect = canvas.getBoundingClientRect();
      return Object.freeze({
        x: rect.left + offsetX + column * pitch * scale, y: rect.top + offsetY + row * pitch * scale,
        width: tileSize * scale, height: tileSize * scale
      });
    }
  });
}());
