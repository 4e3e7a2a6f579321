select 1 as id -- {{ doc('id_doc') }}
