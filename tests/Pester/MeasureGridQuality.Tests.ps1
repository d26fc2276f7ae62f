BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    Import-Module (Get-GridTsneManifestPath)

    function New-GradientCells([switch] $Shuffled) {
        # A 6x6 grid whose vectors vary smoothly with the cell the vector belongs to: sorted, neighbours are alike.
        $random = [System.Random]::new(5)
        [int[]] $order = if ($Shuffled) { 0..35 | Sort-Object { $random.Next() } } else { 0..35 }
        for ($i = 0; $i -lt 36; $i++) {
            [int] $sourceRow = [math]::Floor($order[$i] / 6)
            [int] $sourceColumn = $order[$i] % 6
            [pscustomobject]@{
                Path   = "item$i"
                Row    = [int][math]::Floor($i / 6)
                Column = $i % 6
                Vector = [float[]]($sourceRow, $sourceColumn, ($sourceRow * $sourceColumn / 5))
                Class  = if ($sourceRow -lt 3) { 'top' } else { 'bottom' }
            }
        }
    }
}

Describe 'Measure-GridQuality' {
    It 'scores a sorted gradient near 1 and a shuffled one far lower' {
        $sorted = New-GradientCells | Measure-GridQuality
        $shuffled = New-GradientCells -Shuffled | Measure-GridQuality
        $sorted | Should -BeOfType GridTsne.GridQuality
        $sorted.Count | Should -Be 36
        $sorted.Rows | Should -Be 6
        $sorted.Columns | Should -Be 6
        $sorted.Dpq16 | Should -BeGreaterThan 0.9
        $shuffled.Dpq16 | Should -BeLessThan ($sorted.Dpq16 - 0.3)
        $sorted.LabelAgreement | Should -BeNullOrEmpty
    }

    It 'reports label agreement from a property name and from a scriptblock alike' {
        $byName = New-GradientCells | Measure-GridQuality -Label Class
        $byScript = New-GradientCells | Measure-GridQuality -Label { $_.Class }
        $byName.LabelAgreement | Should -Be $byScript.LabelAgreement
        $byName.RandomLabelAgreement | Should -Be 0.5
        # Two halves: only the boundary rows see the other label.
        $byName.LabelAgreement | Should -BeGreaterThan 0.8
    }

    It 'binds vectors written by Import-Csv as strings' {
        $csv = Join-Path $TestDrive 'cells.csv'
        New-GradientCells | Select-Object Path, Row, Column, @{ n = 'Vector'; e = { $_.Vector -join ';' } } | Export-Csv $csv
        $fromCsv = Import-Csv $csv | Measure-GridQuality
        $direct = New-GradientCells | Measure-GridQuality
        $fromCsv.Dpq16 | Should -Be $direct.Dpq16
    }

    It 'refuses two items in one cell with an error that names them' {
        $cells = @(
            [pscustomobject]@{ Path = 'a'; Row = 0; Column = 0; Vector = [float[]](1, 2) }
            [pscustomobject]@{ Path = 'b'; Row = 0; Column = 0; Vector = [float[]](2, 1) }
        )
        { $cells | Measure-GridQuality -ErrorAction Stop } | Should -Throw '*share the cell at row 0, column 0*'
    }

    It 'refuses an item without a vector, naming it' {
        $failure = { [pscustomobject]@{ Path = 'lonely.jpg'; Row = 0; Column = 0 } | Measure-GridQuality -ErrorAction Stop } |
            Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeLike 'VectorNotNumeric*'
        $failure.Exception.Message | Should -BeLike "*lonely.jpg*"
    }

    It 'refuses vectors of different lengths' {
        $cells = @(
            [pscustomobject]@{ Row = 0; Column = 0; Vector = [float[]](1, 2) }
            [pscustomobject]@{ Row = 0; Column = 1; Vector = [float[]](1, 2, 3) }
        )
        { $cells | Measure-GridQuality -ErrorAction Stop } | Should -Throw '*3-dimensional*'
    }

    It 'shows a list view without vectors' {
        $text = New-GradientCells | Measure-GridQuality | Out-String
        $text | Should -Match 'Dpq16'
        $text | Should -Not -Match 'Vector'
    }
}
