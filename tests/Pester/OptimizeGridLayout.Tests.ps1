BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    Import-Module (Get-GridTsneManifestPath)

    function New-ShuffledGradient([int] $Side = 12, [int] $Seed = 5) {
        # A Side x Side grid whose vectors are a smooth function of a hidden ideal cell, placed in shuffled cells.
        $random = [System.Random]::new($Seed)
        [int[]] $order = 0..($Side * $Side - 1) | Sort-Object { $random.Next() }
        for ($i = 0; $i -lt $Side * $Side; $i++) {
            [int] $idealRow = [math]::Floor($order[$i] / $Side)
            [int] $idealColumn = $order[$i] % $Side
            [pscustomobject]@{
                Path    = "item$i.jpg"
                Row     = [int][math]::Floor($i / $Side)
                Column  = $i % $Side
                Rows    = $Side
                Columns = $Side
                X       = [double]$idealColumn
                Y       = [double]$idealRow
                Vector  = [float[]]($idealRow, $idealColumn, (0.3 * ($idealRow - $idealColumn)))
                Class   = if ($idealRow -lt $Side / 2) { 'top' } else { 'bottom' }
            }
        }
    }

    function New-RandomPoints([int] $Count, [int] $Dimensions, [int] $Seed = 1) {
        $random = [System.Random]::new($Seed)
        for ($i = 0; $i -lt $Count; $i++) {
            [pscustomobject]@{
                Path   = "point$i"
                X      = $random.NextDouble()
                Y      = $random.NextDouble()
                Vector = [float[]](1..$Dimensions | ForEach-Object { $random.NextDouble() })
            }
        }
    }
}

Describe 'Optimize-GridLayout' {
    Context 'Layouts' {
        It 'rearranges a shuffled layout so that Measure-GridQuality scores it far higher, on the same grid' {
            $cells = @(New-ShuffledGradient)
            $optimized = @($cells | Optimize-GridLayout)
            $optimized | Should -HaveCount 144
            $optimized[0] | Should -BeOfType GridTsne.GridCell
            $before = ($cells | Measure-GridQuality).Dpq16
            $after = ($optimized | Measure-GridQuality).Dpq16
            $after | Should -BeGreaterThan ($before + 0.3)
            # Every item once, one per cell, inside the same 12 x 12 grid.
            ($optimized.Path | Sort-Object) | Should -Be ($cells.Path | Sort-Object)
            @($optimized | ForEach-Object { $_.Row * 12 + $_.Column } | Sort-Object -Unique) | Should -HaveCount 144
            ($optimized.Rows | Sort-Object -Unique) | Should -Be 12
            ($optimized.Columns | Sort-Object -Unique) | Should -Be 12
            ($optimized.Row | Measure-Object -Maximum).Maximum | Should -BeLessThan 12
        }

        It 'passes X, Y, the vector and every other property through, in input order' {
            $cells = @(New-ShuffledGradient)
            $optimized = @($cells | Optimize-GridLayout)
            for ($i = 0; $i -lt $cells.Count; $i++) {
                $optimized[$i].Path | Should -Be $cells[$i].Path
                $optimized[$i].X | Should -Be $cells[$i].X
                $optimized[$i].Y | Should -Be $cells[$i].Y
                $optimized[$i].Class | Should -Be $cells[$i].Class
                $optimized[$i].Vector | Should -Be $cells[$i].Vector
            }
        }

        It 'does not change the GridCell objects it was given' {
            $cells = @(New-RandomPoints -Count 40 -Dimensions 4 | Resolve-GridAssignment)
            $before = @($cells | ForEach-Object { "$($_.Row),$($_.Column)" })
            $null = $cells | Optimize-GridLayout
            @($cells | ForEach-Object { "$($_.Row),$($_.Column)" }) | Should -Be $before
        }

        It 'gives the same layout for the same seed, and reads Import-Csv rows alike' {
            $cells = @(New-ShuffledGradient -Seed 8)
            $first = @($cells | Optimize-GridLayout -Seed 3 | ForEach-Object { "$($_.Row),$($_.Column)" })
            $second = @($cells | Optimize-GridLayout -Seed 3 | ForEach-Object { "$($_.Row),$($_.Column)" })
            $second | Should -Be $first
            $csv = Join-Path $TestDrive 'layout.csv'
            $cells | Select-Object Path, Row, Column, Rows, Columns, @{ n = 'Vector'; e = { $_.Vector.ForEach('ToString', 'R', [cultureinfo]::InvariantCulture) -join ';' } } |
                Export-Csv $csv
            $fromCsv = @(Import-Csv $csv | Optimize-GridLayout -Seed 3 | ForEach-Object { "$($_.Row),$($_.Column)" })
            $fromCsv | Should -Be $first
        }

        It 'keeps empty cells of a non-square grid from Resolve-GridAssignment -Columns' {
            # 50 items on 9 columns: 6 rows, 54 cells, 4 of them empty.
            $cells = @(New-RandomPoints -Count 50 -Dimensions 3 -Seed 4 | Resolve-GridAssignment -Columns 9)
            $optimized = @($cells | Optimize-GridLayout)
            $optimized | Should -HaveCount 50
            @($optimized | ForEach-Object { $_.Row * 9 + $_.Column } | Sort-Object -Unique) | Should -HaveCount 50
            ($optimized.Row | Measure-Object -Maximum).Maximum | Should -BeLessOrEqual 5
            ($optimized.Column | Measure-Object -Maximum).Maximum | Should -BeLessOrEqual 8
            ($optimized | Measure-GridQuality).Dpq16 | Should -BeGreaterOrEqual (($cells | Measure-GridQuality).Dpq16)
        }

        It 'reports DPQ16 before and after with -Verbose' {
            $verbose = @(New-ShuffledGradient | Optimize-GridLayout -Verbose 4>&1 | Where-Object { $_ -is [Management.Automation.VerboseRecord] })
            $verbose.Message | Should -Match 'DPQ16 0\.\d{4} before, 0\.\d{4} after \(exact\)'
        }

        It 'says with -Verbose when the DPQ16-driven last stage was kept, and scores what it says' {
            $cells = @(New-RandomPoints -Count 300 -Dimensions 8 | Resolve-GridAssignment)
            $verbose = @($cells | Optimize-GridLayout -Verbose 4>&1)
            $record = @($verbose | Where-Object { $_ -is [Management.Automation.VerboseRecord] })[0]
            $record.Message | Should -Match 'kept the .+, then swaps between neighbors driven by DPQ16;'
            $after = [double]([regex]::Match($record.Message, 'before, (0\.\d{4}) after').Groups[1].Value)
            $measured = ($verbose | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] } | Measure-GridQuality).Dpq16
            [math]::Abs($measured - $after) | Should -BeLessOrEqual 0.0001
        }

        It 'writes nothing for no input' {
            @(@() | Optimize-GridLayout) | Should -HaveCount 0
        }
    }

    Context 'Bad input' {
        It 'refuses an item without a vector, naming it' {
            $failure = { [pscustomobject]@{ Path = 'lonely.jpg'; Row = 0; Column = 0 } | Optimize-GridLayout -ErrorAction Stop } |
                Should -Throw -PassThru
            $failure.FullyQualifiedErrorId | Should -BeLike 'VectorNotNumeric,*'
            $failure.Exception.Message | Should -BeLike '*lonely.jpg*missing*'
        }

        It 'refuses vectors of different lengths' {
            $cells = @(
                [pscustomobject]@{ Path = 'a.jpg'; Row = 0; Column = 0; Vector = [float[]](1, 2) }
                [pscustomobject]@{ Path = 'b.jpg'; Row = 0; Column = 1; Vector = [float[]](1, 2, 3) }
            )
            $failure = { $cells | Optimize-GridLayout -ErrorAction Stop } | Should -Throw -PassThru
            $failure.FullyQualifiedErrorId | Should -BeLike 'VectorLengthMismatch,*'
            $failure.Exception.Message | Should -BeLike "*'b.jpg'*3-dimensional*"
        }

        It 'refuses two items in one cell, naming both' {
            $cells = @(
                [pscustomobject]@{ Path = 'a.jpg'; Row = 1; Column = 2; Vector = [float[]](1, 2) }
                [pscustomobject]@{ Path = 'b.jpg'; Row = 1; Column = 2; Vector = [float[]](2, 1) }
            )
            $failure = { $cells | Optimize-GridLayout -ErrorAction Stop } | Should -Throw -PassThru
            $failure.FullyQualifiedErrorId | Should -BeLike 'DuplicateCell,*'
            $failure.Exception.Message | Should -BeLike "*'b.jpg'*input item 1*row 1, column 2*"
        }

        It 'refuses an item without a cell, a negative row and a NaN in a vector' {
            { [pscustomobject]@{ Path = 'a.jpg'; Vector = [float[]](1, 2) } | Optimize-GridLayout -ErrorAction Stop } |
                Should -Throw -ErrorId 'InputCellMissing,*'
            { [pscustomobject]@{ Row = -1; Column = 0; Vector = [float[]](1, 2) } | Optimize-GridLayout -ErrorAction Stop } |
                Should -Throw -ErrorId 'InputCellInvalid,*'
            { [pscustomobject]@{ Row = 0; Column = 0; Vector = [float[]](1, [float]::NaN) } | Optimize-GridLayout -ErrorAction Stop } |
                Should -Throw -ErrorId 'VectorNotFinite,*'
            { [pscustomobject]@{ Row = 3; Column = 0; Rows = 2; Columns = 2; Vector = [float[]](1, 2) } | Optimize-GridLayout -ErrorAction Stop } |
                Should -Throw -ErrorId 'CellOutsideGrid,*'
        }
    }

    Context 'Progress and cancellation' {
        It 'writes progress and completes it' {
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript("Import-Module '$(Get-GridTsneManifestPath)'; `$args[0] | Optimize-GridLayout").AddArgument(@(New-ShuffledGradient))
                $null = $ps.Invoke()
                $records = @($ps.Streams.Progress)
                $records.Count | Should -BeGreaterThan 1
                $records[0].Activity | Should -BeLike 'Optimize-GridLayout: 144 items on 12 × 12*'
                $records[-1].RecordType | Should -Be 'Completed'
            }
            finally { $ps.Dispose() }
        }

        It 'stops on a pipeline stop (Ctrl+C) without writing anything' {
            # 22,500 items of 16 numbers: many seconds of work; stop once its progress arrives.
            $random = [System.Random]::new(2)
            $side = 150
            $many = [System.Collections.Generic.List[object]]::new()
            for ($i = 0; $i -lt $side * $side; $i++) {
                $vector = [float[]]::new(16)
                for ($d = 0; $d -lt 16; $d++) { $vector[$d] = $random.NextDouble() }
                $many.Add([GridTsne.GridCell]@{ Path = "p$i"; Row = [math]::Floor($i / $side); Column = $i % $side; Rows = $side; Columns = $side; Vector = $vector })
            }

            $stop = Stop-RunningPipeline { param($Cells) $Cells | Optimize-GridLayout } -ArgumentList (, $many.ToArray())
            # How fast it stops is measured in bench/stop, not asserted here (the machine may be busy).
            $stop.WasRunning | Should -BeTrue
            $stop.State | Should -Be 'Stopped'
            $stop.OutputCount | Should -Be 0
        }
    }

    Context 'With photos' {
        It 'sits between Resolve-GridAssignment and Export-PhotoGrid' {
            $folder = New-Item -ItemType Directory (Join-Path $TestDrive 'photos')
            $colors = @(@(220, 30, 30), @(30, 200, 40), @(40, 60, 220), @(230, 220, 40), @(20, 20, 20), @(240, 240, 240))
            for ($i = 0; $i -lt 12; $i++) {
                $null = New-TestImage -Path (Join-Path $folder "photo$i.png") -Color $colors[$i % 6] -Pattern ('solid', 'gradient', 'checker')[$i % 3]
            }

            $grid = Join-Path $TestDrive 'grid.png'
            $cells = @(Get-ChildItem $folder | Get-ImageEmbedding | Invoke-Tsne -Perplexity 3 | Resolve-GridAssignment | Optimize-GridLayout)
            $cells | Should -HaveCount 12
            $cells | Export-PhotoGrid -Path $grid -TileSize 32
            Test-Path $grid | Should -BeTrue
            (Get-TestImageSize $grid).Width | Should -Be (32 * $cells[0].Columns)
        }
    }
}
