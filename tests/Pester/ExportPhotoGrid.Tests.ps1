BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    Import-Module (Get-GridTsneManifestPath)

    $script:root = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "gridtsne-export-$([guid]::NewGuid().ToString('N'))")).FullName
    $script:photos = (New-Item -ItemType Directory -Path (Join-Path $root 'photos')).FullName
    $script:red = (New-TestImage -Path (Join-Path $photos 'red.png') -Width 48 -Height 32 -Color 220, 30, 30).FullName
    $script:green = (New-TestImage -Path (Join-Path $photos 'green.jpg') -Width 32 -Height 48 -Color 30, 200, 40).FullName
    $script:blue = (New-TestImage -Path (Join-Path $photos 'blue.bmp') -Width 40 -Height 40 -Color 30, 40, 210).FullName
    # Quadrants: top-left yellow, top-right red, bottom-left green, bottom-right blue.
    $script:wide = (New-TestImage -Path (Join-Path $photos 'wide.png') -Width 120 -Height 40 -Color 240, 220, 20 -Pattern quadrants).FullName

    function script:New-Cell([string] $Path, [int] $Row, [int] $Column) {
        [pscustomobject]@{ Path = $Path; Row = $Row; Column = $Column }
    }

    function script:Get-Cells {
        New-Cell $red 0 0
        New-Cell $green 1 2
        New-Cell $blue 2 1
    }

    function script:Assert-Pixel([string] $Path, [int] $X, [int] $Y, [int[]] $Expected, [int] $Tolerance = 8) {
        $actual = Get-TestImagePixel -Path $Path -X $X -Y $Y
        foreach ($channel in 0..2) {
            [math]::Abs($actual[$channel] - $Expected[$channel]) | Should -BeLessOrEqual $Tolerance -Because "pixel ($X, $Y) of $Path is $($actual -join ',') and should be about $($Expected -join ',')"
        }
    }

    function script:Assert-Quadrants([string] $Path, [int[]] $X, [int[]] $Y, [int] $Tolerance) {
        # The quadrants pattern upright: yellow top left, red top right, green bottom left, blue bottom right.
        Assert-Pixel $Path $X[0] $Y[0] @(240, 220, 20) -Tolerance $Tolerance
        Assert-Pixel $Path $X[1] $Y[0] @(255, 0, 0) -Tolerance $Tolerance
        Assert-Pixel $Path $X[0] $Y[1] @(0, 255, 0) -Tolerance $Tolerance
        Assert-Pixel $Path $X[1] $Y[1] @(0, 0, 255) -Tolerance $Tolerance
    }

    function script:Get-TemporaryFiles([string] $Folder) {
        @(Get-ChildItem -LiteralPath $Folder -Force -File | Where-Object Name -Like '.*.gridtsne-*.tmp')
    }

    function script:New-Target([string] $Name) {
        $folder = New-Item -ItemType Directory -Path (Join-Path $root ([guid]::NewGuid().ToString('N')))
        Join-Path $folder.FullName $Name
    }
}

AfterAll {
    Remove-Item -LiteralPath $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Export-PhotoGrid output formats' {
    It 'writes <Name> as <Format> at the grid size' -ForEach @(
        @{ Name = 'grid.jpg'; Format = 'JPEG' }
        @{ Name = 'grid.jpeg'; Format = 'JPEG' }
        @{ Name = 'grid.png'; Format = 'PNG' }
        @{ Name = 'grid.webp'; Format = 'Webp' }
        @{ Name = 'grid.bmp'; Format = 'BMP' }
        @{ Name = 'grid.tif'; Format = 'TIFF' }
        @{ Name = 'grid.TIFF'; Format = 'TIFF' }
    ) {
        $target = New-Target $Name
        Get-Cells | Export-PhotoGrid -Path $target -TileSize 20 -Padding 3
        Get-TestImageFormat -Path $target | Should -Be $Format
        $size = Get-TestImageSize -Path $target
        $size.Width | Should -Be (3 * 20 + 2 * 3)
        $size.Height | Should -Be (3 * 20 + 2 * 3)
        Assert-Pixel $target 10 10 @(220, 30, 30) -Tolerance 16
    }

    It 'refuses an unknown extension before reading any photo' {
        $target = New-Target 'grid.gif'
        $cells = @(New-Cell (Join-Path $photos 'missing.jpg') 0 0)
        { $cells | Export-PhotoGrid $target -ErrorAction Stop } | Should -Throw -ErrorId 'OutputFormatUnknown,GridTsne.Commands.ExportPhotoGridCommand'
        Test-Path -LiteralPath $target | Should -BeFalse
    }

    It 'emits the FileInfo with -PassThru, and nothing without' {
        $target = New-Target 'grid.png'
        $file = Get-Cells | Export-PhotoGrid $target -PassThru
        $file | Should -BeOfType ([IO.FileInfo])
        $file.FullName | Should -Be $target
        Get-Cells | Export-PhotoGrid $target | Should -BeNullOrEmpty
    }

    It 'refuses a canvas beyond the format limit and suggests a tile size' {
        $target = New-Target 'grid.webp'
        $thrown = { New-Cell $red 0 299 | Export-PhotoGrid $target -TileSize 64 } | Should -Throw -ErrorId 'CanvasTooLarge,GridTsne.Commands.ExportPhotoGridCommand' -PassThru
        $thrown.Exception.Message | Should -Match '16,383'
        $thrown.Exception.Message | Should -Match '-TileSize 54 or less'
        Test-Path -LiteralPath $target | Should -BeFalse
    }
}

Describe 'Export-PhotoGrid placement and fit' {
    It 'puts each photo at its row and column and shows the background in empty cells' {
        $target = New-Target 'grid.png'
        Get-Cells | Export-PhotoGrid $target -TileSize 20 -Padding 2 -Background '#102030'
        Assert-Pixel $target 10 10 @(220, 30, 30) -Tolerance 0
        Assert-Pixel $target (2 * 22 + 10) (22 + 10) @(30, 200, 40) -Tolerance 10
        Assert-Pixel $target (22 + 10) (2 * 22 + 10) @(30, 40, 210) -Tolerance 0
        Assert-Pixel $target (22 + 10) 10 @(16, 32, 48) -Tolerance 0       # row 0, column 1: empty
        Assert-Pixel $target (2 * 22 + 10) (2 * 22 + 10) @(16, 32, 48) -Tolerance 0
        Assert-Pixel $target 21 10 @(16, 32, 48) -Tolerance 0              # the padding
    }

    It 'accepts colour names for the background, black by default' {
        $white = New-Target 'white.png'
        New-Cell $red 0 0 | Export-PhotoGrid $white -Columns 2 -TileSize 8 -Background White
        Assert-Pixel $white 12 4 @(255, 255, 255) -Tolerance 0
        $black = New-Target 'black.png'
        New-Cell $red 0 0 | Export-PhotoGrid $black -Columns 2 -TileSize 8
        Assert-Pixel $black 12 4 @(0, 0, 0) -Tolerance 0
    }

    It 'refuses a background that is no colour' {
        { New-Cell $red 0 0 | Export-PhotoGrid (New-Target 'grid.png') -Background 'blackish' } |
            Should -Throw -ErrorId 'BackgroundInvalid,GridTsne.Commands.ExportPhotoGridCommand'
    }

    It 'crops the centre with Cover and letterboxes with Contain' {
        $cover = New-Target 'cover.png'
        $contain = New-Target 'contain.png'
        New-Cell $wide 0 0 | Export-PhotoGrid $cover -TileSize 30
        New-Cell $wide 0 0 | Export-PhotoGrid $contain -TileSize 30 -Fit Contain -Background '#FFFFFF'
        # Cover: the centred 40 px square of the 120 × 40 photo fills the tile, all four quadrants meeting in its middle.
        Assert-Quadrants $cover -X 5, 25 -Y 5, 25 -Tolerance 0
        # Contain: the whole photo, 30 × 10 at y = 10, between white bands.
        Assert-Pixel $contain 15 3 @(255, 255, 255) -Tolerance 0
        Assert-Pixel $contain 15 26 @(255, 255, 255) -Tolerance 0
        Assert-Quadrants $contain -X 2, 27 -Y 11, 18 -Tolerance 0
    }

    It 'applies the EXIF orientation' {
        $upright = New-TestImage -Path (Join-Path $photos 'upright.png') -Width 64 -Height 48 -Color 240, 220, 20 -Pattern quadrants
        $sideways = New-RotatedTestImage -UprightPath $upright.FullName -Path (Join-Path $photos 'sideways.jpg')
        (Get-TestImageSize $sideways.FullName).Width | Should -Be 48
        $target = New-Target 'grid.png'
        New-Cell $sideways.FullName 0 0 | Export-PhotoGrid $target -TileSize 32 -Fit Contain -Background White
        # Upright again: 32 × 24 at y = 4 between white bands, the quadrants where they belong.
        Assert-Pixel $target 16 1 @(255, 255, 255) -Tolerance 0
        Assert-Quadrants $target -X 6, 25 -Y 9, 22 -Tolerance 16
    }
}

Describe 'Export-PhotoGrid input' {
    It 'binds FileInfo objects through FullName and resolves relative paths from the current location' {
        Push-Location $photos
        try {
            $target = New-Target 'grid.png'
            $cells = @(
                [pscustomobject]@{ Path = 'red.png'; Row = 0; Column = 0 }
                [pscustomobject]@{ FullName = (Get-Item 'blue.bmp').FullName; Row = '0'; Column = '1' }
            )
            $cells | Export-PhotoGrid $target -TileSize 10 -ErrorVariable problems
            $problems | Should -BeNullOrEmpty
            Assert-Pixel $target 5 5 @(220, 30, 30) -Tolerance 0
            Assert-Pixel $target 15 5 @(30, 40, 210) -Tolerance 0

            Set-Location $root
            New-Cell $red 0 0 | Export-PhotoGrid 'relative.png' -TileSize 4
            Test-Path -LiteralPath (Join-Path $root 'relative.png') | Should -BeTrue
        }
        finally {
            Pop-Location
        }
    }

    It 'takes the grid size from the Rows and Columns properties, and -Rows / -Columns override them' {
        $fromInput = New-Target 'input.png'
        [pscustomobject]@{ Path = $red; Row = 0; Column = 0; Rows = 3; Columns = 4 } | Export-PhotoGrid $fromInput -TileSize 10
        (Get-TestImageSize $fromInput).Width | Should -Be 40
        (Get-TestImageSize $fromInput).Height | Should -Be 30
        $overridden = New-Target 'override.png'
        [pscustomobject]@{ Path = $red; Row = 0; Column = 0; Rows = 3; Columns = 4 } | Export-PhotoGrid $overridden -TileSize 10 -Rows 2 -Columns 5
        (Get-TestImageSize $overridden).Width | Should -Be 50
        (Get-TestImageSize $overridden).Height | Should -Be 20
    }

    It 'refuses a cell outside the grid given by -Rows / -Columns' {
        $target = New-Target 'grid.png'
        $thrown = { Get-Cells | Export-PhotoGrid $target -Rows 2 } | Should -Throw -ErrorId 'CellOutsideGrid,GridTsne.Commands.ExportPhotoGridCommand' -PassThru
        $thrown.Exception.Message | Should -Match ([regex]::Escape($blue))
        $thrown.Exception.Message | Should -Match '-Rows'
        Test-Path -LiteralPath $target | Should -BeFalse
    }

    It 'refuses two photos in one cell, naming both' {
        $target = New-Target 'grid.png'
        $thrown = { @((New-Cell $red 1 1), (New-Cell $blue 1 1)) | Export-PhotoGrid $target } |
            Should -Throw -ErrorId 'DuplicateCell,GridTsne.Commands.ExportPhotoGridCommand' -PassThru
        $thrown.Exception.Message | Should -Match 'red\.png'
        $thrown.Exception.Message | Should -Match 'blue\.bmp'
        Test-Path -LiteralPath $target | Should -BeFalse
    }

    It 'reports an item without Row or Column and renders the others' {
        $target = New-Target 'grid.png'
        $cells = @((New-Cell $red 0 0), [pscustomobject]@{ Path = $blue; Row = 0 }, [pscustomobject]@{ Path = $green; Row = 0; Column = 'x' })
        $cells | Export-PhotoGrid $target -Columns 3 -TileSize 8 -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems.FullyQualifiedErrorId | Should -Be @('InputCellMissing,GridTsne.Commands.ExportPhotoGridCommand', 'InputCellInvalid,GridTsne.Commands.ExportPhotoGridCommand')
        Assert-Pixel $target 4 4 @(220, 30, 30) -Tolerance 0
    }

    It 'refuses a grid with no photos and no size' {
        { @() | Export-PhotoGrid (New-Target 'grid.png') } | Should -Throw -ErrorId 'NoInput,GridTsne.Commands.ExportPhotoGridCommand'
        $empty = New-Target 'empty.png'
        @() | Export-PhotoGrid $empty -Rows 1 -Columns 2 -TileSize 4 -Background Red
        Assert-Pixel $empty 6 2 @(255, 0, 0) -Tolerance 0
    }
}

Describe 'Export-PhotoGrid with photos that cannot be read' {
    It 'writes an error per bad photo, keeps their tiles background and still renders the grid' {
        $target = New-Target 'grid.png'
        $corrupt = Join-Path $photos 'corrupt.jpg'
        [IO.File]::WriteAllBytes($corrupt, [byte[]](0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46))
        $missing = Join-Path $photos 'deleted.jpg'
        $cells = @((New-Cell $red 0 0), (New-Cell $missing 0 1), (New-Cell $corrupt 0 2))
        $cells | Export-PhotoGrid $target -TileSize 10 -Background '#0000FF' -ErrorVariable problems -ErrorAction SilentlyContinue

        $problems.Count | Should -Be 2
        $byTarget = @{}
        foreach ($problem in $problems) { $byTarget[$problem.TargetObject] = $problem }
        $byTarget[$missing].FullyQualifiedErrorId | Should -Be 'ImageNotFound,GridTsne.Commands.ExportPhotoGridCommand'
        $byTarget[$missing].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $byTarget[$corrupt].FullyQualifiedErrorId | Should -Match '^(ImageCorrupt|ImageFormatUnknown),'
        $byTarget[$corrupt].Exception.Message | Should -Match 'corrupt\.jpg'
        Assert-Pixel $target 5 5 @(220, 30, 30) -Tolerance 0
        Assert-Pixel $target 15 5 @(0, 0, 255) -Tolerance 0
        Assert-Pixel $target 25 5 @(0, 0, 255) -Tolerance 0
    }

    It 'stops the whole command with -ErrorAction Stop and leaves no file' {
        $target = New-Target 'grid.png'
        { @((New-Cell (Join-Path $photos 'deleted.jpg') 0 0), (New-Cell $red 0 1)) | Export-PhotoGrid $target -ErrorAction Stop } |
            Should -Throw -ErrorId 'ImageNotFound,GridTsne.Commands.ExportPhotoGridCommand'
        Test-Path -LiteralPath $target | Should -BeFalse
        Get-TemporaryFiles (Split-Path $target) | Should -BeNullOrEmpty
    }
}

Describe 'Export-PhotoGrid writing' {
    It 'writes nothing and reads no photo with -WhatIf' {
        $target = New-Target 'grid.png'
        $layout = Join-Path (Split-Path $target) 'layout.csv'
        @((New-Cell $red 0 0), (New-Cell (Join-Path $photos 'deleted.jpg') 0 1)) |
            Export-PhotoGrid $target -LayoutPath $layout -WhatIf -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        Test-Path -LiteralPath $target | Should -BeFalse
        Test-Path -LiteralPath $layout | Should -BeFalse
    }

    It 'replaces an existing file, as Out-File does' {
        $target = New-Target 'grid.png'
        Set-Content -LiteralPath $target -Value 'old'
        New-Cell $red 0 0 | Export-PhotoGrid $target -TileSize 8
        Get-TestImageFormat $target | Should -Be 'PNG'
    }

    It 'keeps an existing file with -NoClobber' {
        $target = New-Target 'grid.png'
        Set-Content -LiteralPath $target -Value 'old'
        { New-Cell $red 0 0 | Export-PhotoGrid $target -NoClobber } | Should -Throw -ErrorId 'NoClobber,GridTsne.Commands.ExportPhotoGridCommand'
        Get-Content -LiteralPath $target | Should -Be 'old'
        New-Cell $red 0 0 | Export-PhotoGrid (Join-Path (Split-Path $target) 'new.png') -NoClobber
        Test-Path -LiteralPath (Join-Path (Split-Path $target) 'new.png') | Should -BeTrue
    }

    It 'never replaces a read-only file' {
        $target = New-Target 'grid.png'
        Set-Content -LiteralPath $target -Value 'old'
        Set-ItemProperty -LiteralPath $target -Name IsReadOnly -Value $true
        { New-Cell $red 0 0 | Export-PhotoGrid $target } | Should -Throw -ErrorId 'OutputReadOnly,GridTsne.Commands.ExportPhotoGridCommand'
        Get-Content -LiteralPath $target | Should -Be 'old'
    }

    It 'says so when the output folder does not exist' {
        $target = Join-Path $root 'no-such-folder/grid.png'
        $thrown = { New-Cell $red 0 0 | Export-PhotoGrid $target } | Should -Throw -ErrorId 'OutputFolderNotFound,GridTsne.Commands.ExportPhotoGridCommand' -PassThru
        $thrown.Exception.Message | Should -Match 'does not exist'
    }

    It 'leaves the previous file byte-identical and no temporary file when stopped mid-render' {
        # 300 tiles of a 1200 × 900 photo take seconds: time enough to stop the render half way.
        $big = (New-TestImage -Path (Join-Path $photos 'big.jpg') -Width 1200 -Height 900 -Pattern gradient).FullName
        $target = New-Target 'grid.png'
        $previous = [byte[]](1..200 | ForEach-Object { [byte]($_ % 256) })
        [IO.File]::WriteAllBytes($target, $previous)
        $cells = foreach ($i in 0..299) { New-Cell $big ([math]::Floor($i / 20)) ($i % 20) }

        $stop = Stop-RunningPipeline { param($Cells, $Target) $Cells | Export-PhotoGrid $Target -TileSize 16 } -ArgumentList (, $cells), $target
        $stop.WasRunning | Should -BeTrue -Because 'the render should still be running when stopped'
        $stop.Stopped | Should -BeTrue
        $stop.State | Should -Be 'Stopped'
        [IO.File]::ReadAllBytes($target) | Should -Be $previous
        Get-TemporaryFiles (Split-Path $target) | Should -BeNullOrEmpty
    }
}

Describe 'Export-PhotoGrid layout files' {
    It 'writes a CSV layout that Import-Csv turns back into the same grid' {
        $folder = Split-Path (New-Target 'x')
        $original = Join-Path $folder 'original.png'
        $layout = Join-Path $folder 'layout.csv'
        Get-Cells | Export-PhotoGrid $original -TileSize 12 -Padding 1 -Columns 4 -LayoutPath $layout

        $rows = @(Import-Csv -LiteralPath $layout)
        $rows.Count | Should -Be 3
        $green = $rows | Where-Object Path -EQ $green
        $green.Row | Should -Be '1'
        $green.Column | Should -Be '2'
        $green.X | Should -Be ([string](2 * 13))
        $green.Y | Should -Be '13'
        $green.Rows | Should -Be '3'
        $green.Columns | Should -Be '4'
        $green.TileSize | Should -Be '12'
        $green.Padding | Should -Be '1'

        $rebuilt = Join-Path $folder 'rebuilt.png'
        $rows | Export-PhotoGrid $rebuilt -TileSize $rows[0].TileSize -Padding $rows[0].Padding
        (Get-FileHash $rebuilt).Hash | Should -Be (Get-FileHash $original).Hash
    }

    It 'writes a JSON layout that describes the grid and rebuilds it' {
        $folder = Split-Path (New-Target 'x')
        $original = Join-Path $folder 'original.png'
        $layoutPath = Join-Path $folder 'layout.json'
        Get-Cells | Export-PhotoGrid $original -TileSize 12 -Fit Contain -Background '#204060' -LayoutPath $layoutPath

        $layout = Get-Content -Raw -LiteralPath $layoutPath | ConvertFrom-Json
        $layout.format | Should -Be 'GridTsne.PhotoGridLayout'
        $layout.version | Should -Be 1
        $layout.image | Should -Be 'original.png'
        $layout.width | Should -Be 36
        $layout.cells.Count | Should -Be 3
        ($layout.cells | Where-Object path -EQ $blue).x | Should -Be 12
        ($layout.cells | Where-Object path -EQ $blue).y | Should -Be 24

        $rebuilt = Join-Path $folder 'rebuilt.png'
        $layout.cells | Export-PhotoGrid $rebuilt -Rows $layout.rows -Columns $layout.columns -TileSize $layout.tileSize `
            -Padding $layout.padding -Fit $layout.fit -Background $layout.background
        (Get-FileHash $rebuilt).Hash | Should -Be (Get-FileHash $original).Hash
    }

    It 'refuses a layout file that is neither .csv nor .json' {
        { Get-Cells | Export-PhotoGrid (New-Target 'grid.png') -LayoutPath (Join-Path $root 'layout.xml') } |
            Should -Throw -ErrorId 'LayoutFormatUnknown,GridTsne.Commands.ExportPhotoGridCommand'
    }
}

Describe 'Export-PhotoGrid thumbnails' {
    It 'renders from a thumbnail that survived Export-Clixml, without the original' {
        # A real thumbnail made by the engine, as Get-ImageEmbedding keeps one, on a real GridCell.
        $source = (New-TestImage -Path (Join-Path $photos 'thumbnail-source.png') -Width 300 -Height 200 -Color 30, 200, 40).FullName
        # The engine lives in GridTsne's own load context, out of reach of [type] literals: reach it through GridCell.
        $thumbnailType = [GridTsne.GridCell].GetProperty('Thumbnail').PropertyType
        $loaderType = $thumbnailType.Assembly.GetType('GridTsne.Engine.Imaging.SafeImageLoader')
        $decoded = $loaderType::Load($source, $null, [Threading.CancellationToken]::None)
        try { $thumbnail = $thumbnailType::Create($decoded, 128) } finally { $decoded.Dispose() }
        $cell = [GridTsne.GridCell]@{ Path = $source; Row = 0; Column = 0; Rows = 1; Columns = 1; Thumbnail = $thumbnail }
        $cache = Join-Path $root 'cells.clixml'
        $cell | Export-Clixml -LiteralPath $cache
        Remove-Item -LiteralPath $source

        $target = New-Target 'grid.png'
        Import-Clixml -LiteralPath $cache | Export-PhotoGrid $target -TileSize 64 -ErrorVariable problems -Verbose 4>&1 |
            Out-String | Should -Match '1 from thumbnails'
        $problems | Should -BeNullOrEmpty
        Assert-Pixel $target 32 32 @(30, 200, 40) -Tolerance 10

        # The live GridCell renders from its thumbnail too; a tile larger than the thumbnail needs the original, now gone.
        $live = New-Target 'live.png'
        $cell | Export-PhotoGrid $live -TileSize 64 -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        Assert-Pixel $live 32 32 @(30, 200, 40) -Tolerance 10
        $cell | Export-PhotoGrid (New-Target 'large.png') -TileSize 200 -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems.FullyQualifiedErrorId | Should -Be 'ImageNotFound,GridTsne.Commands.ExportPhotoGridCommand'

        # The same conversion serves the other cmdlets' Thumbnail parameters through ThumbnailTransformation.
        function Test-ThumbnailBinding {
            param([Parameter(ValueFromPipelineByPropertyName)] [GridTsne.Infrastructure.ThumbnailTransformation()] $Thumbnail)
            process { $Thumbnail }
        }
        $rebound = Import-Clixml -LiteralPath $cache | Test-ThumbnailBinding
        $rebound.GetType().FullName | Should -Be 'GridTsne.Engine.Imaging.Thumbnail'
        $rebound.EncodedJpeg | Should -Be $thumbnail.EncodedJpeg
        ([pscustomobject]@{ Thumbnail = 'not a thumbnail' } | Test-ThumbnailBinding) | Should -BeNullOrEmpty
    }
}
