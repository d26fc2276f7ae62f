# One way of doing things across the cmdlets: one ErrorId per fault, one -Label, one way of reading items.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    Import-Module (Get-GridTsneManifestPath)

    $script:aboutText = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../docs/about_GridTsne.help.txt')
    $script:errorIds = [GridTsne.Infrastructure.ErrorIds].GetFields('Public, Static') | Where-Object IsLiteral

    function New-PlacedItems {
        # A 3x3 grid, vectors varying with the cell, two classes by row.
        for ($i = 0; $i -lt 9; $i++) {
            [pscustomobject]@{
                Path   = "item$i.jpg"
                Row    = [int][math]::Floor($i / 3)
                Column = $i % 3
                Vector = [float[]]([math]::Floor($i / 3), ($i % 3))
                Class  = if ($i -lt 3) { 'top' } else { 'rest' }
            }
        }
    }

    function Get-ErrorId([scriptblock] $Command) {
        try {
            & $Command
        }
        catch {
            return ($_.FullyQualifiedErrorId -split ',')[0]
        }
        throw 'The command did not fail.'
    }
}

Describe 'The ErrorId vocabulary' {
    It 'has a constant per ErrorId whose value is its name' {
        $errorIds.Count | Should -BeGreaterThan 40
        foreach ($field in $errorIds) {
            $field.GetValue($null) | Should -Be $field.Name
        }
    }

    It 'is listed in about_GridTsne, and the list names nothing else' {
        $section = [regex]::Match($aboutText, '(?s)\nERROR IDS\r?\n(.*?)\r?\n(?=[A-Z][A-Z ]+\r?\n)').Groups[1].Value
        $section | Should -Not -BeNullOrEmpty
        foreach ($field in $errorIds) {
            $section | Should -Match "\b$($field.Name)\b" -Because "about_GridTsne should list $($field.Name)"
        }
        # Every CamelCase word starting a list line or following ", " (outside the explanations in parentheses) is an ErrorId.
        $listed = [regex]::Matches(($section -replace '\([^)]*\)'), '(?m)(?<=^        |, )([A-Z][a-z]+(?:[A-Z][a-z]+)+)\b').Value | Sort-Object -Unique
        $listed | Where-Object { $_ -notin $errorIds.Name } | Should -BeNullOrEmpty
    }

    It 'gives a vector that is not numbers the same ErrorId in every cmdlet' {
        Get-ErrorId { [pscustomobject]@{ Path = 'a.jpg'; Vector = '1;two' } | Invoke-Tsne } | Should -Be 'VectorNotNumeric'
        Get-ErrorId { [pscustomobject]@{ Path = 'a.jpg'; X = 1; Y = 2; Vector = '1;two' } | Resolve-GridAssignment } | Should -Be 'VectorNotNumeric'
        Get-ErrorId { [pscustomobject]@{ Path = 'a.jpg'; Row = 0; Column = 0; Vector = '1;two' } | Measure-GridQuality } | Should -Be 'VectorNotNumeric'
    }

    It 'gives an invalid -Label the same ErrorId in every cmdlet' {
        Get-ErrorId { New-PlacedItems | Measure-GridQuality -Label 42 } | Should -Be 'LabelInvalid'
        Get-ErrorId { New-PlacedItems | Export-PhotoGrid (Join-Path $TestDrive 'grid.html') -Label 42 } | Should -Be 'LabelInvalid'
        Get-ErrorId { New-PlacedItems | Measure-GridQuality -Label ' ' } | Should -Be 'LabelInvalid'
    }

    It 'gives two items in one cell the same ErrorId in every cmdlet' {
        $pair = @(
            [pscustomobject]@{ Path = 'a.jpg'; Row = 1; Column = 2; Vector = [float[]](1, 2) }
            [pscustomobject]@{ Path = 'b.jpg'; Row = 1; Column = 2; Vector = [float[]](2, 1) }
        )
        Get-ErrorId { $pair | Measure-GridQuality } | Should -Be 'DuplicateCell'
        Get-ErrorId { $pair | Export-PhotoGrid (Join-Path $TestDrive 'pair.png') } | Should -Be 'DuplicateCell'
    }

    It 'gives an item without Row or with a bad Column the same ErrorIds in every cmdlet' {
        $noRow = [pscustomobject]@{ Path = 'a.jpg'; Column = 0; Vector = [float[]](1, 2) }
        $badColumn = [pscustomobject]@{ Path = 'b.jpg'; Row = 0; Column = 'x'; Vector = [float[]](1, 2) }
        Get-ErrorId { $noRow | Measure-GridQuality } | Should -Be 'InputCellMissing'
        Get-ErrorId { $badColumn | Measure-GridQuality } | Should -Be 'InputCellInvalid'
        $noRow, $badColumn | Export-PhotoGrid (Join-Path $TestDrive 'grid.png') -Rows 1 -Columns 1 -ErrorVariable problems -ErrorAction SilentlyContinue
        ($problems.FullyQualifiedErrorId | ForEach-Object { ($_ -split ',')[0] }) | Should -Be @('InputCellMissing', 'InputCellInvalid')
        $problems[0].Exception.Message | Should -BeLike "*input item 1 ('a.jpg')*"
    }
}

Describe '-Label, the same wherever it is offered' {
    It 'joins several values from a script block, so later values count too' {
        $plain = New-PlacedItems | Measure-GridQuality -Label Class
        $all = New-PlacedItems | Measure-GridQuality -Label { 'same' }
        $all.LabelAgreement | Should -Be 1
        $plain.LabelAgreement | Should -BeLessThan 1
        # Joined, 'same, top' and 'same, rest' still split the items as Class does; the first value alone would not.
        $joined = New-PlacedItems | Measure-GridQuality -Label { 'same'; $_.Class }
        $joined.LabelAgreement | Should -Be $plain.LabelAgreement
        $fromArray = New-PlacedItems | ForEach-Object { $_ | Add-Member -PassThru -NotePropertyName Pair -NotePropertyValue @('same', $_.Class) } |
            Measure-GridQuality -Label Pair
        $fromArray.LabelAgreement | Should -Be $plain.LabelAgreement
    }

    It 'reports a failing script block per item, naming it, and goes on' {
        $quality = New-PlacedItems | Measure-GridQuality -Label { if ($_.Column -eq 1) { throw 'no label here' } $_.Class } -ErrorVariable labelErrors -ErrorAction SilentlyContinue
        $quality.Count | Should -Be 9
        $labelErrors.Count | Should -Be 3
        $labelErrors[0].FullyQualifiedErrorId | Should -BeLike 'LabelFailed,*'
        "$($labelErrors[0])" | Should -BeLike "*input item 2 ('item1.jpg')*no label here*"
    }

    It 'warns when no item has the named property' {
        New-PlacedItems | Measure-GridQuality -Label NoSuchProperty -WarningVariable warnings -WarningAction SilentlyContinue | Out-Null
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -BeLike "*'NoSuchProperty'*"
    }
}

Describe 'Reading items' {
    It 'reads typed, deserialized and Import-Csv items alike' {
        $cells = New-PlacedItems | Select-Object Path, @{ n = 'X'; e = { $_.Column } }, @{ n = 'Y'; e = { $_.Row } }, Vector, Class |
            Resolve-GridAssignment
        $cells[0] | Should -BeOfType GridTsne.GridCell
        $direct = $cells | Measure-GridQuality

        $clixml = Join-Path $TestDrive 'cells.xml'
        $cells | Export-Clixml $clixml
        $deserialized = Import-Clixml $clixml
        $deserialized[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.GridTsne.GridCell'
        ($deserialized | Measure-GridQuality).Dpq16 | Should -Be $direct.Dpq16

        $csv = Join-Path $TestDrive 'cells.csv'
        $cells | Select-Object Path, Row, Column, Rows, Columns,
            @{ n = 'Vector'; e = { $_.Vector.ForEach('ToString', 'R', [cultureinfo]::InvariantCulture) -join ';' } } | Export-Csv $csv
        $fromCsv = Import-Csv $csv
        $fromCsv[0].Row | Should -BeOfType string
        ($fromCsv | Measure-GridQuality).Dpq16 | Should -Be $direct.Dpq16
    }
}
