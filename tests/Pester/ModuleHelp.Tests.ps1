# Fails when any exported cmdlet or parameter lacks help, in the manner of PSScriptAnalyzer's ModuleHelp.Tests.ps1.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    Import-Module (Get-GridTsneManifestPath) -Force
    $script:commands = Get-Command -Module GridTsne -CommandType Cmdlet | ForEach-Object {
        @{ Name = $_.Name; Parameters = @($_.Parameters.Values | Where-Object {
                    $_.Name -notin [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters -and
                    -not $_.Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow })
                } | ForEach-Object Name) }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    Import-Module (Get-GridTsneManifestPath) -Force
}

Describe 'Help for <Name>' -ForEach $commands {
    BeforeAll {
        $help = Get-Help $Name -Full
    }

    It 'comes from the MAML file, not the auto-generated stub' {
        $help.PSObject.Properties.Name | Should -Contain 'examples'
        $help.Synopsis | Should -Not -BeLike "*$Name*[[]*"
    }

    It 'has a synopsis and a description' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        ($help.Description.Text -join '') | Should -Not -BeNullOrEmpty
    }

    It 'has at least two examples with code and remarks' {
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        foreach ($example in $help.Examples.Example) {
            $example.Code | Should -Not -BeNullOrEmpty
            ($example.Remarks.Text -join '') | Should -Not -BeNullOrEmpty
        }
    }

    It 'describes its inputs and outputs' {
        ($help.inputTypes.inputType.type.name -join '') | Should -Not -BeNullOrEmpty
        ($help.returnValues.returnValue.type.name -join '') | Should -Not -BeNullOrEmpty
    }

    It 'describes parameter -<_>' -ForEach $Parameters {
        $parameterHelp = $help.Parameters.Parameter | Where-Object Name -EQ $_
        $parameterHelp | Should -Not -BeNullOrEmpty -Because "-$_ must appear in the help"
        ($parameterHelp.Description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$_ needs a description"
    }

    It 'has a help page that documents no parameter the cmdlet lacks' {
        # The generator emits only real parameters, so read the markdown source itself.
        $page = Join-Path $PSScriptRoot "../../docs/cmdlets/$Name.md"
        $documented = Select-String -LiteralPath $page -Pattern '^### -(\w+)' | ForEach-Object { $_.Matches[0].Groups[1].Value }
        $allowed = $Parameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $documented | Where-Object { $_ -notin $allowed } | Should -BeNullOrEmpty
    }
}

Describe 'about_GridTsne' {
    It 'is found by Get-Help' {
        $about = Get-Help about_GridTsne
        "$about" | Should -Match 'Get-ImageEmbedding'
        "$about" | Should -Match 'Resolve-GridAssignment'
    }
}
