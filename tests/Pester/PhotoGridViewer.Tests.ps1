<#
    The interactive viewer (Export-PhotoGrid grid.html) in a real headless Chromium, driven through
    chromedriver's WebDriver API. Missing chromium or chromedriver fails these tests; it never skips them.
#>
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Chromium.psm1') -Force
    Import-Module (Get-GridTsneManifestPath)

    $script:xssName = '<img src=x onerror=alert(1)>.jpg'

    # A 6 x 6 grid: solid colours (so a screenshot shows where each tile went), one empty cell, one corrupt
    # file, one hostile name, one photo beside the page's folder (linked) and one far away (embedded copy).
    function Get-TileColor([int] $Row, [int] $Column) { [byte[]]@((30 + 40 * $Row), (30 + 40 * $Column), (220 - 30 * $Row)) }

    $root = Join-Path $TestDrive 'work'
    $script:site = New-Item -ItemType Directory -Path (Join-Path $root 'site')
    $photos = New-Item -ItemType Directory -Path (Join-Path $site 'photos')
    $beside = New-Item -ItemType Directory -Path (Join-Path $root 'beside')
    $far = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'elsewhere/deep')
    $script:items = [System.Collections.Generic.List[object]]::new()
    for ($row = 0; $row -lt 6; $row++) {
        for ($column = 0; $column -lt 6; $column++) {
            $folder = $photos.FullName
            $name = "photo-$row-$column.png"
            if ($row -eq 1 -and $column -eq 1) { continue }
            if ($row -eq 0 -and $column -eq 2) { $name = $xssName }
            if ($row -eq 3 -and $column -eq 0) { $folder = $beside.FullName }
            if ($row -eq 4 -and $column -eq 4) { $folder = $far.FullName; $name = 'far away.png' }
            $path = Join-Path $folder $name
            if ($row -eq 2 -and $column -eq 2) {
                $name = 'broken.jpg'
                $path = Join-Path $folder $name
                Set-Content -LiteralPath $path -Value 'this is not a JPEG'
            }
            else {
                New-TestImage -Path $path -Width 96 -Height 72 -Color (Get-TileColor $row $column) | Out-Null
            }
            $items.Add([pscustomobject]@{ Path = $path; Row = $row; Column = $column; Label = (($row + $column) % 2 ? 'odd tile' : 'even tile') })
        }
    }

    $script:page = Join-Path $site 'grid.html'
    $script:exportErrors = @()
    $items | Export-PhotoGrid -Path $page -Rows 6 -Columns 6 -TileSize 64 -Label Label -ErrorVariable script:exportErrors -ErrorAction SilentlyContinue

    $script:browser = Start-ChromiumSession -Width 1000 -Height 700
    $script:mainWindow = Invoke-WebDriver $browser GET '/window'

    function Open-Viewer {
        Open-BrowserPage $browser $page | Out-Null
        Wait-BrowserCondition $browser 'window.gridViewer && window.gridViewer.status.ready' | Out-Null
    }
    function Get-ViewerStatus { Invoke-BrowserScript $browser 'return window.gridViewer.status;' }
    function Get-CellCenter([int] $Row, [int] $Column) {
        $rect = Invoke-BrowserScript $browser 'return window.gridViewer.cellRect(arguments[0], arguments[1]);' @($Row, $Column)
        [pscustomobject]@{ X = [int][math]::Round($rect.x + $rect.width / 2); Y = [int][math]::Round($rect.y + $rect.height / 2) }
    }
    function Get-CanvasOrigin { Invoke-BrowserScript $browser "var r = document.getElementById('grid').getBoundingClientRect(); return { x: r.left, y: r.top };" }
    function Move-Mouse([int] $X, [int] $Y) {
        Invoke-BrowserActions $browser @(New-MouseSource @(@{ type = 'pointerMove'; x = $X; y = $Y; origin = 'viewport'; duration = 0 }))
    }
    function Send-Key([string] $Key) {
        Invoke-BrowserActions $browser @(@{ type = 'key'; id = 'keyboard'; actions = @(@{ type = 'keyDown'; value = $Key }, @{ type = 'keyUp'; value = $Key }) })
    }
    function Get-WindowHandles { @(Invoke-WebDriver $browser GET '/window/handles') }
    function Wait-NewWindowUrl {
        # The viewer opens a photo after the double-click delay; returns the new tab's URL and closes it.
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while (($handles = Get-WindowHandles).Count -lt 2) {
            if ([DateTime]::UtcNow -gt $deadline) { throw 'No tab opened within 30 s.' }
            Start-Sleep -Milliseconds 50
        }
        $other = $handles | Where-Object { $_ -ne $mainWindow } | Select-Object -First 1
        Invoke-WebDriver $browser POST '/window' @{ handle = $other } | Out-Null
        $url = Invoke-WebDriver $browser GET '/url'
        Invoke-WebDriver $browser DELETE '/window' | Out-Null
        Invoke-WebDriver $browser POST '/window' @{ handle = $mainWindow } | Out-Null
        $url
    }
}

AfterAll {
    if ($browser) { Stop-ChromiumSession $browser }
}

Describe 'Export-PhotoGrid viewer in Chromium' {
    BeforeEach {
        Get-BrowserRequestedUrls $browser | Out-Null
        Open-Viewer
    }

    It 'writes the page and its folder and reports the unreadable photo' {
        $page | Should -Exist
        Join-Path $site 'grid_files/layout.js' | Should -Exist
        @(Get-ChildItem -LiteralPath $site -Force -Filter '.*') | Should -BeNullOrEmpty -Because 'no temporary folder is left behind'
        $exportErrors.Count | Should -Be 1
        $exportErrors[0].FullyQualifiedErrorId | Should -BeLike 'ImageFormatUnknown*'
        $exportErrors[0].TargetObject | Should -BeLike '*broken.jpg'
    }

    It 'loads every tile image of every level from the page folder only' {
        $status = Get-ViewerStatus
        $status.cells | Should -Be 35
        $status.readable | Should -Be 34
        $status.linked | Should -Be 33
        $status.embedded | Should -Be 1
        foreach ($level in $status.levels) {
            $level.failed | Should -Be 0
            $level.loaded | Should -Be $level.atlases
            $level.tilesLoaded | Should -Be 34
        }
        $status.level | Should -Be 64 -Because 'a 6 x 6 grid in a 1000 x 700 window shows tiles larger than 16 px'

        $folder = [System.Uri]::new($site.FullName + '/').AbsoluteUri
        $requested = @(Get-BrowserRequestedUrls $browser)
        $requested | Should -Contain "$($folder)grid_files/layout.js"
        $requested | Should -Contain "$($folder)grid_files/tiles/64/0-0.jpg"
        $requested | ForEach-Object { $_ | Should -BeLike "$folder*" -Because 'the page requests nothing outside its folder' }
        $errors = @(Invoke-WebDriver $browser POST '/log' @{ type = 'browser' } | Where-Object level -eq 'SEVERE')
        $errors | Should -BeNullOrEmpty -Because 'the page loads without errors or CSP violations'
    }

    It 'zooms towards the cursor with the wheel and the + and - keys, and fits on double-click' {
        $fitted = (Get-ViewerStatus).transform
        $origin = Get-CanvasOrigin
        $point = Get-CellCenter 2 3
        Move-Mouse ($point.X) ($point.Y)
        Invoke-BrowserActions $browser @(New-WheelSource -X $point.X -Y $point.Y -DeltaY -240)
        $zoomed = (Get-ViewerStatus).transform
        $zoomed.scale | Should -BeGreaterThan ($fitted.scale * 1.3)
        # The world point under the cursor stays under it.
        $x = $point.X - $origin.x; $y = $point.Y - $origin.y
        (($x - $zoomed.x) / $zoomed.scale) | Should -BeGreaterThan ((($x - $fitted.x) / $fitted.scale) - 0.01)
        (($x - $zoomed.x) / $zoomed.scale) | Should -BeLessThan ((($x - $fitted.x) / $fitted.scale) + 0.01)
        (($y - $zoomed.y) / $zoomed.scale) | Should -BeGreaterThan ((($y - $fitted.y) / $fitted.scale) - 0.01)
        (($y - $zoomed.y) / $zoomed.scale) | Should -BeLessThan ((($y - $fitted.y) / $fitted.scale) + 0.01)

        Send-Key '+'
        (Get-ViewerStatus).transform.scale | Should -BeGreaterThan ($zoomed.scale * 1.2)
        Send-Key '-'
        Send-Key '-'
        (Get-ViewerStatus).transform.scale | Should -BeLessThan ($zoomed.scale * 0.9)

        Invoke-BrowserActions $browser @(New-MouseSource @(
                @{ type = 'pointerMove'; x = $point.X; y = $point.Y; origin = 'viewport'; duration = 0 },
                @{ type = 'pointerDown'; button = 0 }, @{ type = 'pointerUp'; button = 0 },
                @{ type = 'pointerDown'; button = 0 }, @{ type = 'pointerUp'; button = 0 }))
        $refitted = (Get-ViewerStatus).transform
        $refitted.scale | Should -Be $fitted.scale
        $refitted.x | Should -Be $fitted.x
        $refitted.y | Should -Be $fitted.y
        # Nothing is left to open the photo later: the double-click cancelled the clicks' pending open.
        (Get-ViewerStatus).openPending | Should -BeFalse -Because 'a double-click fits; it opens no photo'
        (Get-WindowHandles).Count | Should -Be 1
    }

    It 'zooms in with a two-finger pinch' {
        $before = (Get-ViewerStatus).transform
        $centre = Get-CellCenter 3 3
        $finger = { param($id, $from, $to) @{ type = 'pointer'; id = $id; parameters = @{ pointerType = 'touch' }; actions = @(
                    @{ type = 'pointerMove'; x = $from; y = $centre.Y; origin = 'viewport'; duration = 0 },
                    @{ type = 'pointerDown'; button = 0 },
                    @{ type = 'pointerMove'; x = $to; y = $centre.Y; origin = 'viewport'; duration = 300 },
                    @{ type = 'pointerUp'; button = 0 }) } }
        Invoke-BrowserActions $browser @((& $finger 'finger1' ($centre.X - 40) ($centre.X - 120)), (& $finger 'finger2' ($centre.X + 40) ($centre.X + 120)))
        (Get-ViewerStatus).transform.scale | Should -BeGreaterThan ($before.scale * 2)
    }

    It 'pans by dragging, and a drag opens no photo' {
        $before = (Get-ViewerStatus).transform
        $start = Get-CellCenter 3 3
        Invoke-BrowserActions $browser @(New-MouseSource @(
                @{ type = 'pointerMove'; x = $start.X; y = $start.Y; origin = 'viewport'; duration = 0 },
                @{ type = 'pointerDown'; button = 0 },
                @{ type = 'pointerMove'; x = $start.X + 60; y = $start.Y + 40; origin = 'viewport'; duration = 200 },
                @{ type = 'pointerUp'; button = 0 }))
        $after = (Get-ViewerStatus).transform
        $after.scale | Should -Be $before.scale
        ($after.x - $before.x) | Should -Be 60
        ($after.y - $before.y) | Should -Be 40
        (Get-ViewerStatus).openPending | Should -BeFalse -Because 'a drag is no click'
        (Get-WindowHandles).Count | Should -Be 1
    }

    It 'shows the file name and the label of the hovered tile' {
        $point = Get-CellCenter 3 4
        Move-Mouse $point.X $point.Y
        $status = Get-ViewerStatus
        $status.hovered.row | Should -Be 3
        $status.hovered.column | Should -Be 4
        Invoke-BrowserScript $browser "return document.getElementById('tooltip').hidden;" | Should -BeFalse
        Invoke-BrowserScript $browser "return document.getElementById('tooltip-name').textContent;" | Should -Be 'photo-3-4.png'
        Invoke-BrowserScript $browser "return document.getElementById('tooltip-label').textContent;" | Should -Be 'odd tile'

        $broken = Get-CellCenter 2 2
        Move-Mouse $broken.X $broken.Y
        Invoke-BrowserScript $browser "return document.getElementById('tooltip-detail').textContent;" | Should -BeLike '*could not be read*'

        $empty = Get-CellCenter 1 1
        Move-Mouse $empty.X $empty.Y
        Invoke-BrowserScript $browser "return document.getElementById('tooltip').hidden;" | Should -BeTrue
    }

    It 'highlights the tiles whose name or label matches the search' {
        $searchBox = Invoke-WebDriver $browser POST '/element' @{ using = 'css selector'; value = '#search' }
        $elementId = $searchBox.PSObject.Properties.Value | Select-Object -First 1
        Invoke-WebDriver $browser POST "/element/$elementId/value" @{ text = 'PHOTO-3-' } | Out-Null
        (Get-ViewerStatus).highlighted | Should -Be 6 -Because 'six photos of row 3 are named photo-3-*, one of them beside the folder'
        Invoke-BrowserScript $browser "return document.getElementById('matches').textContent;" | Should -Be '6 matches'

        Invoke-WebDriver $browser POST "/element/$elementId/clear" | Out-Null
        Invoke-WebDriver $browser POST "/element/$elementId/value" @{ text = 'odd' } | Out-Null
        $odd = @($items | Where-Object Label -eq 'odd tile').Count
        (Get-ViewerStatus).highlighted | Should -Be $odd

        Invoke-WebDriver $browser POST "/element/$elementId/clear" | Out-Null
        Invoke-WebDriver $browser POST "/element/$elementId/value" @{ text = 'no such photo' } | Out-Null
        (Get-ViewerStatus).highlighted | Should -Be 0
    }

    It 'shows a hostile file name as text and runs nothing' {
        $point = Get-CellCenter 0 2
        Move-Mouse $point.X $point.Y
        Invoke-BrowserScript $browser "return document.getElementById('tooltip-name').textContent;" | Should -Be $xssName
        Invoke-BrowserScript $browser "return document.getElementById('tooltip-name').children.length;" | Should -Be 0
        Invoke-BrowserScript $browser 'return document.querySelectorAll("img").length;' | Should -Be 0

        $searchBox = Invoke-WebDriver $browser POST '/element' @{ using = 'css selector'; value = '#search' }
        Invoke-WebDriver $browser POST "/element/$($searchBox.PSObject.Properties.Value | Select-Object -First 1)/value" @{ text = 'onerror' } | Out-Null
        (Get-ViewerStatus).highlighted | Should -Be 1

        { Get-BrowserAlertText $browser } | Should -Throw -ExpectedMessage 'no such alert*'
    }

    It 'opens the original beside the page, or the embedded copy, on click' {
        $point = Get-CellCenter 3 4
        Invoke-BrowserActions $browser @(New-MouseSource @(
                @{ type = 'pointerMove'; x = $point.X; y = $point.Y; origin = 'viewport'; duration = 0 },
                @{ type = 'pointerDown'; button = 0 }, @{ type = 'pointerUp'; button = 0 }))
        Wait-NewWindowUrl | Should -Be ([System.Uri]::new((Join-Path $site 'photos/photo-3-4.png')).AbsoluteUri)

        $point = Get-CellCenter 3 0
        Invoke-BrowserActions $browser @(New-MouseSource @(
                @{ type = 'pointerMove'; x = $point.X; y = $point.Y; origin = 'viewport'; duration = 0 },
                @{ type = 'pointerDown'; button = 0 }, @{ type = 'pointerUp'; button = 0 }))
        Wait-NewWindowUrl | Should -Be ([System.Uri]::new((Join-Path $TestDrive 'work/beside/photo-3-0.png')).AbsoluteUri)

        $point = Get-CellCenter 4 4
        Invoke-BrowserActions $browser @(New-MouseSource @(
                @{ type = 'pointerMove'; x = $point.X; y = $point.Y; origin = 'viewport'; duration = 0 },
                @{ type = 'pointerDown'; button = 0 }, @{ type = 'pointerUp'; button = 0 }))
        $copy = Wait-NewWindowUrl
        $copy | Should -BeLike ([System.Uri]::new($site.FullName + '/').AbsoluteUri + 'grid_files/photos/*.jpg')
        $copyPath = [System.Uri]::new($copy).LocalPath
        (Get-TestImageSize $copyPath).Width | Should -Be 96
        $pixel = Get-TestImagePixel $copyPath -X 48 -Y 36
        $expected = Get-TileColor 4 4
        for ($channel = 0; $channel -lt 3; $channel++) { [math]::Abs($pixel[$channel] - $expected[$channel]) | Should -BeLessThan 12 }
    }

    It 'draws the tiles where they belong (screenshot)' {
        $shot = Join-Path $TestDrive 'screenshot.png'
        [System.IO.File]::WriteAllBytes($shot, (Get-BrowserScreenshot $browser))
        (Get-TestImageSize $shot).Width | Should -Be 1000
        Get-TestImageColorCount $shot | Should -BeGreaterThan 30 -Because 'a blank page has a handful of colours'
        foreach ($cell in @(@(0, 0), @(3, 4), @(5, 5), @(4, 4))) {
            $point = Get-CellCenter $cell[0] $cell[1]
            $pixel = Get-TestImagePixel $shot -X $point.X -Y $point.Y
            $expected = Get-TileColor $cell[0] $cell[1]
            for ($channel = 0; $channel -lt 3; $channel++) {
                [math]::Abs($pixel[$channel] - $expected[$channel]) | Should -BeLessThan 16 -Because "tile ($($cell -join ', ')) channel $channel"
            }
        }
        $background = Get-CellCenter 2 2
        Get-TestImagePixel $shot -X $background.X -Y $background.Y | Should -Be @(0, 0, 0) -Because 'the unreadable photo leaves its tile background'
    }
}

Describe 'Export-PhotoGrid -Path *.html (writing)' {
    BeforeAll {
        New-Item -ItemType Directory -Path (Join-Path $TestDrive 'solo') | Out-Null
        $script:photo = New-TestImage -Path (Join-Path $TestDrive 'solo/one.png') -Color @(10, 200, 30)
        $script:one = [pscustomobject]@{ Path = $photo.FullName; Row = 0; Column = 0; Kind = 'green' }
        function Get-LayoutJson([string] $Page) {
            $assets = Join-Path (Split-Path $Page) ([IO.Path]::GetFileNameWithoutExtension($Page) + '_files')
            $script = Get-Content -Raw -LiteralPath (Join-Path $assets 'layout.js')
            $start = $script.IndexOf("JSON.parse('") + "JSON.parse('".Length
            $script.Substring($start, $script.LastIndexOf("');") - $start).Replace('\\', '\') | ConvertFrom-Json
        }
    }

    It '-WhatIf writes nothing' {
        $page = Join-Path $TestDrive 'solo/whatif.html'
        $one | Export-PhotoGrid -Path $page -WhatIf
        $page | Should -Not -Exist
        Join-Path $TestDrive 'solo/whatif_files' | Should -Not -Exist
    }

    It '-PassThru emits the page, and .htm works too' {
        $page = Join-Path $TestDrive 'solo/pass.htm'
        $file = $one | Export-PhotoGrid -Path $page -PassThru
        $file | Should -BeOfType System.IO.FileInfo
        $file.FullName | Should -Be $page
        Join-Path $TestDrive 'solo/pass_files/viewer.js' | Should -Exist
    }

    It '-NoClobber refuses an existing page before any work' {
        $page = Join-Path $TestDrive 'solo/keep.html'
        Set-Content -LiteralPath $page -Value 'mine'
        { $one | Export-PhotoGrid -Path $page -NoClobber -ErrorAction Stop } | Should -Throw -ErrorId 'NoClobber*'
        Get-Content -LiteralPath $page | Should -Be 'mine'
        Join-Path $TestDrive 'solo/keep_files' | Should -Not -Exist
    }

    It 'refuses tiles larger than the viewer takes before reading any photo' {
        $page = Join-Path $TestDrive 'solo/huge.html'
        $missing = [pscustomobject]@{ Path = (Join-Path $TestDrive 'solo/missing.jpg'); Row = 0; Column = 0 }
        $thrown = { $missing | Export-PhotoGrid -Path $page -TileSize 2048 -ErrorAction Stop } | Should -Throw -ErrorId 'CanvasTooLarge*' -PassThru
        $thrown.Exception.Message | Should -Match '1024'
        $page | Should -Not -Exist
    }

    It 'never replaces an assets folder it did not write' {
        $page = Join-Path $TestDrive 'solo/foreign.html'
        New-Item -ItemType Directory -Path (Join-Path $TestDrive 'solo/foreign_files') | Out-Null
        Set-Content -LiteralPath (Join-Path $TestDrive 'solo/foreign_files/notes.txt') -Value 'mine'
        { $one | Export-PhotoGrid -Path $page -ErrorAction Stop } | Should -Throw -ErrorId 'ViewerAssetsFolderInUse*'
        Get-Content -LiteralPath (Join-Path $TestDrive 'solo/foreign_files/notes.txt') | Should -Be 'mine'
        $page | Should -Not -Exist
    }

    It 'replaces an existing viewer and leaves no temporary file' {
        $page = Join-Path $TestDrive 'solo/again.html'
        $one | Export-PhotoGrid -Path $page -Label Kind
        $first = (Get-LayoutJson $page).cells.label
        $one | Export-PhotoGrid -Path $page -Label { $_.Kind.ToUpperInvariant() + '!' }
        (Get-LayoutJson $page).cells.label | Should -Be 'GREEN!'
        $first | Should -Be 'green'
        @(Get-ChildItem -LiteralPath (Join-Path $TestDrive 'solo') -Force -Filter '.*') | Should -BeNullOrEmpty
    }

    It 'leaves the previous viewer byte-identical and no temporary folder when stopped' {
        $page = Join-Path $TestDrive 'solo/stopped.html'
        $one | Export-PhotoGrid -Path $page
        $snapshot = { Get-ChildItem -LiteralPath (Join-Path $TestDrive 'solo') -Recurse -File -Filter '*' | Where-Object FullName -like '*stopped*' |
                Sort-Object FullName | ForEach-Object { '{0} {1}' -f $_.FullName, (Get-FileHash -LiteralPath $_.FullName).Hash } }
        $before = & $snapshot
        # 300 tiles of a 1200 x 900 photo take seconds: time enough to stop the write half way.
        $big = (New-TestImage -Path (Join-Path $TestDrive 'solo/big.jpg') -Width 1200 -Height 900 -Pattern gradient).FullName
        $cells = foreach ($i in 0..299) { [pscustomobject]@{ Path = $big; Row = [math]::Floor($i / 20); Column = $i % 20 } }

        $stop = Stop-RunningPipeline { param($Cells, $Target) $Cells | Export-PhotoGrid $Target -TileSize 16 } -ArgumentList (, $cells), $page
        $stop.WasRunning | Should -BeTrue -Because 'the viewer should still be written when stopped'
        $stop.Stopped | Should -BeTrue
        $stop.State | Should -Be 'Stopped'
        & $snapshot | Should -Be $before
        @(Get-ChildItem -LiteralPath (Join-Path $TestDrive 'solo') -Force -Filter '.*') | Should -BeNullOrEmpty
    }

    It '-Label reads a property or runs a script block on each item' {
        $page = Join-Path $TestDrive 'solo/labels.html'
        $items = 0..2 | ForEach-Object { [pscustomobject]@{ Path = $photo.FullName; Row = 0; Column = $_; Kind = "k$_"; Score = $_ * 10 } }
        $items | Export-PhotoGrid -Path $page -Label Score
        (Get-LayoutJson $page).cells.label | Should -Be @('0', '10', '20')
        $items | Export-PhotoGrid -Path $page -Label { "$($_.Kind) ($([runspace]::DefaultRunspace.Id))" }
        (Get-LayoutJson $page).cells.label | Should -Be @(0..2 | ForEach-Object { "k$_ ($([runspace]::DefaultRunspace.Id))" }) -Because 'the script block runs in the caller''s runspace, on the pipeline thread'
        $items | Export-PhotoGrid -Path $page -Label NoSuchProperty -WarningVariable warnings -WarningAction SilentlyContinue
        (Get-LayoutJson $page).cells.label | Should -Be @($null, $null, $null)
        $warnings | Should -Not -BeNullOrEmpty
    }

    It 'reports a failing -Label script block per item and keeps the photo' {
        $page = Join-Path $TestDrive 'solo/badlabel.html'
        $items = 0..1 | ForEach-Object { [pscustomobject]@{ Path = $photo.FullName; Row = 0; Column = $_ } }
        $items | Export-PhotoGrid -Path $page -Label { if ($_.Column -eq 1) { throw 'no label here' } 'fine' } -ErrorVariable labelErrors -ErrorAction SilentlyContinue
        $labelErrors.Count | Should -Be 1
        $labelErrors[0].FullyQualifiedErrorId | Should -BeLike 'LabelFailed*'
        (Get-LayoutJson $page).cells.label | Should -Be @('fine', $null)
        (Get-LayoutJson $page).cells.state | Should -Be @(0, 0)
    }
}
