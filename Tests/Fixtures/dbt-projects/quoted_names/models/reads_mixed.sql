{{ config(materialized='view') }}
-- built as {{ this }}
select count(*) as n from {{ ref('MixedCase') }}
