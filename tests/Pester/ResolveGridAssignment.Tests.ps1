BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    Import-Module (Get-GridTsneManifestPath)

    function New-Points([int] $Count, [int] $Seed = 1) {
        $random = [System.Random]::new($Seed)
        for ($i = 0; $i -lt $Count; $i++) {
            [pscustomobject]@{ Path = "p$i.jpg"; X = $random.NextDouble() * 10; Y = $random.NextDouble() * 5; Vector = [float[]]($i, 1) }
        }
    }
}

Describe 'Resolve-GridAssignment' {
    It 'puts every point in its own cell of the most square grid, in input order' {
        $cells = New-Points 10 | Resolve-GridAssignment
        $cells.Count | Should -Be 10
        $cells[0] | Should -BeOfType GridTsne.GridCell
        $cells.Path | Should -Be (0..9 | ForEach-Object { "p$_.jpg" })
        ($cells | ForEach-Object { "$($_.Row),$($_.Column)" } | Sort-Object -Unique).Count | Should -Be 10
        $cells[0].Rows | Should -Be 3
        $cells[0].Columns | Should -Be 4
        $cells.Row | ForEach-Object { $_ | Should -BeLessThan 3 }
        $cells.Column | ForEach-Object { $_ | Should -BeLessThan 4 }
    }

    It 'keeps the geometry: the leftmost point goes left, the rightmost right' {
        $points = 0..3 | ForEach-Object { [pscustomobject]@{ Path = "p$_"; X = $_; Y = 0 } }
        $cells = $points | Resolve-GridAssignment -Rows 1
        $cells.Column | Should -Be @(0, 1, 2, 3)
    }

    It 'derives the other side from -Columns or -Rows' {
        (New-Points 10 | Resolve-GridAssignment -Columns 5)[0].Rows | Should -Be 2
        (New-Points 10 | Resolve-GridAssignment -Rows 5)[0].Columns | Should -Be 2
    }

    It 'states the numbers when both sides are too small' {
        $failure = { New-Points 10 | Resolve-GridAssignment -Rows 3 -Columns 3 -ErrorAction Stop } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeLike 'GridTooSmall*'
        $failure.Exception.Message | Should -Match '9'
        $failure.Exception.Message | Should -Match '10'
    }

    It 'binds Import-Csv strings and passes vectors on as float[]' {
        $csv = Join-Path $TestDrive 'points.csv'
        New-Points 6 | Select-Object Path, X, Y, @{ n = 'Vector'; e = { $_.Vector -join ';' } } | Export-Csv $csv
        $fromCsv = Import-Csv $csv | Resolve-GridAssignment
        $direct = New-Points 6 | Resolve-GridAssignment
        ($fromCsv | ForEach-Object { "$($_.Row),$($_.Column)" }) | Should -Be ($direct | ForEach-Object { "$($_.Row),$($_.Column)" })
        $fromCsv[5].Vector | Should -BeOfType System.Single
        $fromCsv[5].Vector[0] | Should -Be 5
    }

    It 'handles degenerate input: identical points, collinear points, one point, a full grid, duplicate paths' {
        @(1..5 | ForEach-Object { [pscustomobject]@{ X = 1; Y = 1 } } | Resolve-GridAssignment).Count | Should -Be 5
        @(1..5 | ForEach-Object { [pscustomobject]@{ X = $_; Y = 2 * $_ } } | Resolve-GridAssignment).Count | Should -Be 5
        $one = [pscustomobject]@{ Path = 'only'; X = 3; Y = 4 } | Resolve-GridAssignment
        $one.Row | Should -Be 0
        $one.Column | Should -Be 0
        @(New-Points 16 | Resolve-GridAssignment -Rows 4 -Columns 4).Count | Should -Be 16
        $twins = 1..4 | ForEach-Object { [pscustomobject]@{ Path = 'same.jpg'; X = $_; Y = $_ } } | Resolve-GridAssignment
        ($twins | ForEach-Object { "$($_.Row),$($_.Column)" } | Sort-Object -Unique).Count | Should -Be 4
    }

    It 'refuses a NaN coordinate, naming the item' {
        $points = @([pscustomobject]@{ Path = 'good'; X = 1; Y = 1 }, [pscustomobject]@{ Path = 'bad.jpg'; X = [double]::NaN; Y = 1 })
        $failure = { $points | Resolve-GridAssignment -ErrorAction Stop } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeLike 'CoordinateNotFinite*'
        $failure.Exception.Message | Should -Match 'bad.jpg'
    }

    It 'gives the same optimal cost with the dense and the sparse solver, and says so with -Verbose' {
        function Get-TotalCost($Cells) {
            # The squared displacement in cell units, from the output alone: X and Y scaled onto the cell centres.
            $minX, $maxX = ($Cells.X | Measure-Object -Minimum -Maximum).Minimum, ($Cells.X | Measure-Object -Minimum -Maximum).Maximum
            $minY, $maxY = ($Cells.Y | Measure-Object -Minimum -Maximum).Minimum, ($Cells.Y | Measure-Object -Minimum -Maximum).Maximum
            $total = 0.0
            foreach ($cell in $Cells) {
                $dx = ($cell.X - $minX) / ($maxX - $minX) * ($cell.Columns - 1) - $cell.Column
                $dy = ($cell.Y - $minY) / ($maxY - $minY) * ($cell.Rows - 1) - $cell.Row
                $total += $dx * $dx + $dy * $dy
            }
            $total
        }

        $points = New-Points 300 -Seed 4
        $dense = $points | Resolve-GridAssignment -Method Dense
        $sparse = $points | Resolve-GridAssignment -Method Sparse -Verbose 4>&1
        $sparseCells = $sparse | Where-Object { $_ -is [GridTsne.GridCell] }
        $sparseCells.Count | Should -Be 300
        $denseCost = Get-TotalCost $dense
        $denseCost | Should -BeGreaterThan 0
        [math]::Abs($denseCost - (Get-TotalCost $sparseCells)) | Should -BeLessThan (1e-9 * $denseCost)
        ($sparse | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'proven gap'
    }

    It 'shows Path, Row and Column without the vector' {
        $text = New-Points 3 | Resolve-GridAssignment | Out-String
        $text | Should -Match 'Row'
        $text | Should -Not -Match 'Vector'
    }
}
