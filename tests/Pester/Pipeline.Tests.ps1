# The whole pipeline as a PowerShell user meets it: round trips between steps, bad photos, verbose, jobs.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    Import-Module (Get-GridTsneManifestPath)
    $script:photos = Join-Path $TestDrive 'photos'
    New-Item -ItemType Directory -Path $photos | Out-Null
    Get-ChildItem (Join-Path (Split-Path (Get-GridTsneManifestPath)) 'samples/photos') -Filter '*.png' |
        Where-Object Name -Match '^(Bus|Hydrant|Palm)__' | Select-Object -First 15 | Copy-Item -Destination $photos
    $script:embeddings = Get-ChildItem $photos -File | Get-ImageEmbedding
    $script:joinVector = @{ Name = 'Vector'; Expression = { $_.Vector.ForEach('ToString', 'R', [cultureinfo]::InvariantCulture) -join ';' } }
}

Describe 'Round trips between the steps' {
    It 'Get-ImageEmbedding -> CSV -> Invoke-Tsne gives the same map as the live objects' {
        $csv = Join-Path $TestDrive 'embeddings.csv'
        $embeddings | Select-Object Path, Model, $joinVector | Export-Csv $csv
        $fromCsv = Import-Csv $csv | Invoke-Tsne -Iterations 300
        $live = $embeddings | Invoke-Tsne -Iterations 300
        $fromCsv.X | Should -Be $live.X
        $fromCsv.Path | Should -Be $live.Path
    }

    It 'Invoke-Tsne -> CSV -> Resolve-GridAssignment -> CSV -> Export-PhotoGrid' {
        $points = Join-Path $TestDrive 'points.csv'
        $cells = Join-Path $TestDrive 'cells.csv'
        $grid = Join-Path $TestDrive 'from-csv.png'
        $embeddings | Invoke-Tsne -Iterations 300 | Select-Object Path, X, Y, $joinVector | Export-Csv $points
        Import-Csv $points | Resolve-GridAssignment | Select-Object Path, Row, Column, Rows, Columns, $joinVector | Export-Csv $cells
        $rows = Import-Csv $cells
        $rows.Count | Should -Be 15
        ($rows | Measure-GridQuality).Count | Should -Be 15
        $rows | Export-PhotoGrid $grid -TileSize 16
        (Get-TestImageSize $grid).Width | Should -Be (4 * 16)
    }

    It 'Export-Clixml of embeddings -> Import-Clixml -> Invoke-Tsne, thumbnails included' {
        $xml = Join-Path $TestDrive 'embeddings.xml'
        $embeddings | Export-Clixml $xml
        $points = Import-Clixml $xml | Invoke-Tsne -Iterations 300
        $points.Count | Should -Be 15
        $points[0].Thumbnail | Should -Not -BeNullOrEmpty
        ($points.X | Should -Be ($embeddings | Invoke-Tsne -Iterations 300).X)
    }

    It 'a foreign layout (Path, X, Y from another tool) -> Resolve-GridAssignment -> Export-PhotoGrid' {
        $umap = Join-Path $TestDrive 'umap.csv'
        $i = 0
        Get-ChildItem $photos -File | ForEach-Object { [pscustomobject]@{ Path = $_.FullName; X = $i % 5; Y = [math]::Floor($i++ / 5) } } | Export-Csv $umap
        $grid = Join-Path $TestDrive 'foreign.jpg'
        Import-Csv $umap | Resolve-GridAssignment | Export-PhotoGrid $grid -TileSize 16 -PassThru | Should -Not -BeNullOrEmpty
        Get-TestImageFormat $grid | Should -Be 'JPEG'
    }
}

Describe 'Errors and messages' {
    It 'bad photos among good ones give ErrorRecords with stable ErrorIds and the grid is still made' {
        $mixed = Join-Path $TestDrive 'mixed'
        New-Item -ItemType Directory -Path $mixed | Out-Null
        Get-ChildItem $photos -File | Select-Object -First 6 | Copy-Item -Destination $mixed
        Set-Content -LiteralPath (Join-Path $mixed 'notes.jpg') -Value 'not an image'
        New-Item -ItemType File -Path (Join-Path $mixed 'empty.png') | Out-Null
        $grid = Join-Path $TestDrive 'mixed.png'
        $errors = $null
        Get-ChildItem $mixed -File | Get-ImageEmbedding -ErrorVariable errors -ErrorAction SilentlyContinue |
            Invoke-Tsne | Resolve-GridAssignment | Export-PhotoGrid $grid -TileSize 16
        $grid | Should -Exist
        @($errors).Count | Should -Be 2
        $errors.FullyQualifiedErrorId | ForEach-Object { ($_ -split ',')[0] } | Sort-Object | Should -Be @('ImageEmpty', 'ImageFormatUnknown')
    }

    It '$ErrorActionPreference = Stop stops at the first bad photo' {
        $bad = Join-Path $TestDrive 'bad.jpg'
        Set-Content -LiteralPath $bad -Value 'not an image'
        {
            $ErrorActionPreference = 'Stop'
            @($bad) + @(Get-ChildItem $photos -File | ForEach-Object FullName) | Get-ImageEmbedding | Invoke-Tsne
        } | Should -Throw -ErrorId 'ImageFormatUnknown*'
    }

    It '-Verbose shows each step''s timings' {
        $verbose = $embeddings | Invoke-Tsne -Iterations 300 -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose.Message -join "`n") | Should -Match '\d+(\.\d+)? s'
        $verbose = $embeddings | Invoke-Tsne -Iterations 300 | Resolve-GridAssignment -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose.Message -join "`n") | Should -Match 'solver'
    }
}

Describe 'Jobs' {
    It 'runs the whole pipeline in Start-ThreadJob, two at once without interfering' {
        $manifest = Get-GridTsneManifestPath
        $first = Join-Path $TestDrive 'job1.jpg'
        $second = Join-Path $TestDrive 'job2.png'
        $script = {
            param($manifest, $dir, $out)
            Import-Module $manifest
            Get-ChildItem $dir -File | Get-ImageEmbedding | Invoke-Tsne | Resolve-GridAssignment | Export-PhotoGrid $out -TileSize 16 -PassThru
        }
        $jobs = @(
            Start-ThreadJob -ScriptBlock $script -ArgumentList $manifest, $photos, $first
            Start-ThreadJob -ScriptBlock $script -ArgumentList $manifest, $photos, $second
        )
        $files = $jobs | Receive-Job -Wait -AutoRemoveJob -ErrorAction Stop
        $files.FullName | Sort-Object | Should -Be (@($first, $second) | Sort-Object)
        (Get-TestImageSize $first).Width | Should -Be 64
        (Get-TestImageSize $second).Width | Should -Be 64
    }

    It 'runs the whole pipeline in Start-Job, in a separate process' {
        $out = Join-Path $TestDrive 'process-job.jpg'
        $manifest = Get-GridTsneManifestPath
        $job = Start-Job -ScriptBlock {
            Import-Module $using:manifest
            Get-ChildItem $using:photos -File | Get-ImageEmbedding | Invoke-Tsne | Resolve-GridAssignment | Export-PhotoGrid $using:out -TileSize 16 -PassThru
        }
        $file = $job | Receive-Job -Wait -AutoRemoveJob -ErrorAction Stop
        $file.Name | Should -Be 'process-job.jpg'
        $out | Should -Exist
    }
}
